import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { loadOrCreateSignerKey } from "../chain/index";
import { renderConfig } from "../config/index";
import { loadOrCreatePeerKey } from "../p2p/index";

export interface InitNodeOptions {
  /** Directory for the config file; keys go into its `data` subdirectory unless `dataDir` is set. */
  dir: string;
  dataDir?: string;
  networks: bigint[];
  apiPort: number;
  apiHost?: string;
  p2pPort: number;
  bootstrap?: string[];
  mdns?: boolean;
  rpcUrls: string[];
  chainId: number;
  deploymentFile?: string;
  /** Overwrite an existing config file (keys are never overwritten). */
  force?: boolean;
}

export interface InitNodeResult {
  configPath: string;
  dataDir: string;
  peerId: string;
  signer: `0x${string}`;
  /** True when keys already existed and were kept. */
  reusedKeys: boolean;
}

/**
 * `vigil node init`: creates the node's Ed25519 peer key and Ethereum signer key in the data dir
 * (kept if present, so re-running never changes a registered identity) and writes a commented config.
 */
export async function initNode(o: InitNodeOptions): Promise<InitNodeResult> {
  const dir = resolve(o.dir);
  const dataDir = resolve(dir, o.dataDir ?? "data");
  const configPath = join(dir, "node.toml");
  if (existsSync(configPath) && !o.force)
    throw new Error(`${configPath} exists; pass --force to overwrite it (keys are kept either way)`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const peerKeyFile = join(dataDir, "peer.key");
  const signerKeyFile = join(dataDir, "eth.key");
  const reusedKeys = existsSync(peerKeyFile) && existsSync(signerKeyFile);
  const peerId = peerIdFromPrivateKey(await loadOrCreatePeerKey(peerKeyFile)).toString();
  const signer = loadOrCreateSignerKey(signerKeyFile).address;
  mkdirSync(dirname(configPath), { recursive: true });
  writeFileSync(
    configPath,
    renderConfig({
      dataDir: relative(dir, dataDir) || ".",
      networks: o.networks,
      apiPort: o.apiPort,
      apiHost: o.apiHost,
      adminToken: randomBytes(24).toString("base64url"),
      p2pListen: [`/ip4/0.0.0.0/tcp/${o.p2pPort}`],
      bootstrap: o.bootstrap,
      mdns: o.mdns,
      rpcUrls: o.rpcUrls,
      chainId: o.chainId,
      deploymentFile: o.deploymentFile ? relative(dir, resolve(o.deploymentFile)) : undefined,
    }),
    { mode: 0o600 },
  );
  return { configPath, dataDir, peerId, signer, reusedKeys };
}
