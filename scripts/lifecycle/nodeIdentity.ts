import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { privateKeyFromProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { parse as parseToml } from "smol-toml";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { LifecycleError } from "./errors";

/**
 * The signer address and peer id of a node made by `vigil node init`, read from its config's data
 * dir (`eth.key`: hex private key, `peer.key`: libp2p protobuf key). Only plain key files are
 * read; anything else (an encrypted keystore) fails with UNREADABLE_NODE_KEYS, and the operator
 * passes --signer and --peer-id, which `vigil node init` prints.
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
  const unreadable = (what: string, cause?: unknown) =>
    new LifecycleError(
      "UNREADABLE_NODE_KEYS",
      `cannot read the node's ${what} in ${dataDir} as a plain key (an encrypted keystore?): pass --signer and --peer-id, which \`vigil node init\` printed`,
      { dataDir },
      { cause },
    );
  const ethKey = join(dataDir, "eth.key");
  const peerKey = join(dataDir, "peer.key");
  if (!existsSync(ethKey)) throw unreadable("eth.key");
  if (!existsSync(peerKey)) throw unreadable("peer.key");
  const hex = readFileSync(ethKey, "utf8").trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw unreadable("eth.key");
  let peerId: string;
  try {
    peerId = peerIdFromPrivateKey(privateKeyFromProtobuf(readFileSync(peerKey))).toString();
  } catch (cause) {
    throw unreadable("peer.key", cause);
  }
  return { signer: privateKeyToAccount(hex as `0x${string}`).address, peerId };
}
