import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { renderConfig } from "../config/index";
import { initNodeKeys, type NodeKeysInfo } from "../keys/index";

export interface InitNodeOptions {
  /** Directory for the config file; keys go into its `data` subdirectory unless `dataDir` is set. */
  dir: string;
  dataDir?: string;
  networks: bigint[];
  apiPort: number;
  apiHost?: string;
  /** The device gateway's own port; unset, the gateway stays on the API listener. */
  gatewayPort?: number;
  gatewayHost?: string;
  /** Metrics and /admin (loopback by default); 0 picks a free port. */
  adminPort: number;
  adminHost?: string;
  p2pPort: number;
  bootstrap?: string[];
  mdns?: boolean;
  rpcUrls: string[];
  chainId: number;
  deploymentFile?: string;
  /** Overwrite an existing config file (keys are never overwritten). */
  force?: boolean;
  /**
   * How new keys are written: encrypted v3 keystores with this password (what `vigil node init` does
   * unless `--insecure-plaintext-keys`), or plaintext when unset (devnets and tests).
   */
  keystore?: { password: string; scryptN?: number };
  /** Written to node.toml as `keys.password_file` (relative to it), so `start` finds the password. */
  passwordFile?: string;
}

export interface InitNodeResult {
  configPath: string;
  dataDir: string;
  peerId: string;
  signer: `0x${string}`;
  /** True when keys already existed and were kept. */
  reusedKeys: boolean;
  /** Format of the key files as they are now (kept keys keep theirs). */
  keyFormats: NodeKeysInfo["formats"];
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
  const keys = await initNodeKeys({ peerKeyFile, signerKeyFile }, o.keystore ?? { plaintext: true });
  const { peerId, signer } = keys;
  mkdirSync(dirname(configPath), { recursive: true });
  writeFileSync(
    configPath,
    renderConfig({
      dataDir: relative(dir, dataDir) || ".",
      networks: o.networks,
      apiPort: o.apiPort,
      apiHost: o.apiHost,
      gatewayPort: o.gatewayPort,
      gatewayHost: o.gatewayHost,
      adminPort: o.adminPort,
      adminHost: o.adminHost,
      adminToken: randomBytes(24).toString("base64url"),
      p2pListen: [`/ip4/0.0.0.0/tcp/${o.p2pPort}`],
      bootstrap: o.bootstrap,
      mdns: o.mdns,
      rpcUrls: o.rpcUrls,
      chainId: o.chainId,
      deploymentFile: o.deploymentFile ? relative(dir, resolve(o.deploymentFile)) : undefined,
      passwordFile: o.passwordFile ? relative(dir, resolve(o.passwordFile)) : undefined,
    }),
    { mode: 0o600 },
  );
  return { configPath, dataDir, peerId, signer, reusedKeys: keys.reused, keyFormats: keys.formats };
}
