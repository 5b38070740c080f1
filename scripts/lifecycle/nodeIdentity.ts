import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { type Address, getAddress, isAddress } from "viem";
import { describeKeyFile } from "../../oracle-node/keys/index";
import { LifecycleError } from "./errors";

/**
 * The signer address and peer id of a node made by `vigil node init`, read from its config's data
 * dir (`eth.key`, `peer.key`), plain or encrypted: a keystore names its address and peer id in the
 * clear, so no password is needed. Those names are the operator's own files' word, not checked
 * against the encrypted key here; a wrong one registers an operator the node cannot sign for, and the
 * node then refuses to start its settlement (`NOT_A_DON_MEMBER`, or the peer key the registry holds
 * is not among its keys).
 */
export function readNodeIdentity(configPath: string): { signer: Address; peerId: string } {
  let dataDir: string;
  try {
    const config = parseToml(readFileSync(configPath, "utf8")) as { data_dir?: unknown };
    if (typeof config.data_dir !== "string") throw new Error("no data_dir");
    dataDir = isAbsolute(config.data_dir) ? config.data_dir : resolve(dirname(configPath), config.data_dir);
  } catch (cause) {
    throw new LifecycleError(
      "INVALID_INPUT",
      `cannot read data_dir from node config ${configPath}: ${cause instanceof Error ? cause.message : cause}`,
      { configPath },
      { cause },
    );
  }
  const read = (file: string) => {
    try {
      return describeKeyFile(join(dataDir, file));
    } catch (cause) {
      throw new LifecycleError(
        "UNREADABLE_NODE_KEYS",
        `cannot read the node's ${file} in ${dataDir}: ${cause instanceof Error ? cause.message : cause}; pass --signer and --peer-id, which \`vigil node init\` printed`,
        { dataDir },
        { cause },
      );
    }
  };
  const { address } = read("eth.key");
  const { peerId } = read("peer.key");
  if (!address || !isAddress(address, { strict: false }))
    throw new LifecycleError("UNREADABLE_NODE_KEYS", `${join(dataDir, "eth.key")} names no signer address`, {
      dataDir,
    });
  if (!peerId)
    throw new LifecycleError("UNREADABLE_NODE_KEYS", `${join(dataDir, "peer.key")} names no peer id`, {
      dataDir,
    });
  return { signer: getAddress(address), peerId };
}
