// `vigil device init`: a device's key and a `device.toml` that `vigil device run` accepts as is, so a
// device owner never writes the config by hand.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "smol-toml";
import { bytesToHex } from "../bytes";
import { generateKey, nodeSigner } from "../crypto/node";
import { DeviceConfigError, loadDeviceConfig } from "./config";

export interface InitDeviceOptions {
  dir: string;
  /** The address that receives the device's rewards and registers it on chain (0x, 20 bytes). */
  owner: string;
  /** Node device-gateway URLs: bootstraps (with `chain`) or the fixed list. */
  nodes: string[];
  chain?: { rpcUrl: string; registry: string; settlement: string; networkId: bigint };
  computeClass?: number;
  force?: boolean;
}

export interface InitDeviceResult {
  configPath: string;
  keyPath: string;
  deviceId: string;
  reusedKey: boolean;
}

/**
 * Writes `<dir>/device.key` (the Ed25519 seed, hex, mode 0600; never overwritten: the key is the
 * device's identity on chain) and `<dir>/device.toml`, then loads the config back through the agent's
 * own validation, so a bad flag fails here with the agent's message rather than at `run`.
 */
export function initDevice(o: InitDeviceOptions): InitDeviceResult {
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, "device.key");
  const configPath = join(dir, "device.toml");
  if (existsSync(configPath) && !o.force)
    throw new DeviceConfigError(`${configPath} exists; pass --force to replace it (the key is kept)`);
  const reusedKey = existsSync(keyPath);
  if (!reusedKey) {
    const { secretKey } = generateKey();
    writeFileSync(keyPath, `0x${bytesToHex(secretKey)}\n`, { mode: 0o600, flag: "wx" });
  }
  const config: Record<string, unknown> = {
    secret_key_file: "device.key",
    owner: o.owner,
    nodes: o.nodes,
    ...(o.computeClass !== undefined && { capabilities: { compute_class: o.computeClass } }),
    ...(o.chain && {
      chain: {
        rpc_url: o.chain.rpcUrl,
        registry: o.chain.registry,
        settlement: o.chain.settlement,
        network_id:
          o.chain.networkId <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(o.chain.networkId)
            : o.chain.networkId.toString(),
      },
    }),
  };
  const header = [
    '# Vigil device agent config (docs/attestation.md, "Device agent"); written by `vigil device init`.',
    "# With [chain], `nodes` are bootstraps: the agent finds its assigned nodes and checks them on chain.",
    "",
  ].join("\n");
  writeFileSync(configPath, `${header}${stringify(config)}\n`, { mode: 0o644 });
  const loaded = loadDeviceConfig(configPath);
  return {
    configPath,
    keyPath,
    deviceId: `0x${bytesToHex(nodeSigner(loaded.secretKey).publicKey)}`,
    reusedKey,
  };
}

/** The registry and settlement addresses of a deployment JSON (`vigil deploy --out`). */
export function deploymentAddresses(file: string): { registry: string; settlement: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new DeviceConfigError(`${file}: cannot read the deployment JSON: ${(e as Error).message}`);
  }
  const d = parsed as { registry?: unknown; settlement?: unknown };
  const isAddr = (v: unknown): v is string => typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v);
  if (!isAddr(d.registry) || !isAddr(d.settlement))
    throw new DeviceConfigError(
      `${file}: expected "registry" and "settlement" addresses in the deployment JSON`,
    );
  return { registry: d.registry, settlement: d.settlement };
}
