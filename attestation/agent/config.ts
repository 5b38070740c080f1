import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { z } from "zod";
import { hexToBytes } from "../bytes";
import { MAX_COMPUTE_CLASS, MAX_STORAGE_CHUNK_BYTES } from "../constants";
import type { Capabilities } from "../messages/capabilities";

const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`), `expected ${bytes} bytes of hex`)
    .transform((s) => hexToBytes(s.replace(/^0x/, "")));

/** `vigil device run --config <file>`: a TOML file (snake_case keys), validated here once. */
export const deviceConfigSchema = z
  .object({
    /** 32-byte Ed25519 secret seed, hex; or `secret_key_file` (a file holding it, relative to the config). */
    secret_key: hex(32).optional(),
    secret_key_file: z.string().optional(),
    owner: hex(20),
    /**
     * Device gateway base URLs, e.g. "http://127.0.0.1:8080/device". With `[chain]` (and `discover`
     * on) they are bootstrap nodes, any nodes: the agent asks them where its assigned nodes are and
     * believes only records that verify against the chain. Without `[chain]` they are the device's
     * nodes, trusted as listed.
     */
    nodes: z.array(z.url()).min(1),
    /** PEM CA certificate(s) trusted for `https://` nodes besides the default CAs (a private or self-signed CA), relative to the config. */
    tls_ca_file: z.string().min(1).optional(),
    /** Fixed heartbeat period; unset, the agent follows each node's policy (half its interval). */
    heartbeat_interval_ms: z.int().min(100).optional(),
    poll_wait_ms: z.int().min(0).max(60_000).default(20_000),
    log_level: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
    capabilities: z
      .object({
        gpu_model: z.string().max(255).default(""),
        gpu_memory_mib: z.int().min(0).max(0xffffffff).default(0),
        storage_bytes: z.int().min(0).default(0),
        bandwidth_class: z.int().min(0).max(15).default(0),
        compute_class: z.int().min(0).max(MAX_COMPUTE_CLASS).default(0),
      })
      .prefault({}),
    /**
     * Where the agent reads its assignment (who may challenge it) by itself; unset, it answers any
     * challenger. `network_id` is the network the device is registered in: a node serving another
     * network has its challenges refused.
     */
    chain: z
      .object({
        rpc_url: z.url(),
        registry: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte 0x address"),
        settlement: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte 0x address"),
        // An integer, or a decimal string for ids beyond 2^53 (TOML integers are read as numbers).
        network_id: z
          .union([z.int().min(0), z.string().regex(/^[0-9]+$/, "expected a decimal integer")])
          .refine((v) => BigInt(v) < 2n ** 64n, "network_id must fit in 64 bits"),
        /** Learn the assigned nodes from gateway records (default); false: serve the `nodes` list as given. */
        discover: z.boolean().default(true),
      })
      .strict()
      .optional(),
    /**
     * The replica the device keeps: a file (relative to the config) of `chunks` × `chunk_bytes` bytes,
     * as its network's storage client wrote it (the client registers its root on chain).
     */
    storage: z
      .object({
        file: z.string().min(1),
        chunks: z
          .int()
          .min(1)
          .max(1 << 20),
        chunk_bytes: z.int().min(1).max(MAX_STORAGE_CHUNK_BYTES),
      })
      .optional(),
  })
  .strict()
  .refine((c) => (c.secret_key ? 1 : 0) + (c.secret_key_file ? 1 : 0) === 1, {
    message: "set exactly one of secret_key and secret_key_file",
  });

export interface DeviceConfig {
  secretKey: Uint8Array;
  owner: Uint8Array;
  nodes: string[];
  heartbeatIntervalMs?: number;
  pollWaitMs: number;
  logLevel: string;
  capabilities: Capabilities;
  storage?: { file: string; chunks: number; chunkBytes: number };
  /** `[chain]`: where the agent reads who may challenge it (`createChainAssignment`). */
  chain?: {
    rpcUrl: string;
    registry: `0x${string}`;
    settlement: `0x${string}`;
    networkId: bigint;
    /** `nodes` are bootstraps and the agent serves its discovered assigned nodes (else the list as given). */
    discover: boolean;
  };
  /** `tls_ca_file`'s certificates (PEM), trusted for this agent's `https://` requests only. */
  tlsCa?: string[];
}

export class DeviceConfigError extends Error {
  override readonly name = "DeviceConfigError";
}

/** Reads and validates a device config file; errors name the file and the offending key. */
export function loadDeviceConfig(path: string): DeviceConfig {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, "utf8"));
  } catch (e) {
    const what =
      e instanceof TomlError ? `invalid TOML: ${e.message}` : `cannot read: ${(e as Error).message}`;
    throw new DeviceConfigError(`${path}: ${what}`);
  }
  const r = deviceConfigSchema.safeParse(raw);
  if (!r.success)
    throw new DeviceConfigError(
      `${path}: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  const c = r.data;
  let secretKey = c.secret_key;
  if (!secretKey) {
    const file = resolve(dirname(path), c.secret_key_file!);
    const text = readFileSync(file, "utf8").trim();
    const k = hex(32).safeParse(text);
    if (!k.success) throw new DeviceConfigError(`${file}: expected 32 bytes of hex`);
    secretKey = k.data;
  }
  return {
    secretKey,
    owner: c.owner,
    nodes: c.nodes,
    heartbeatIntervalMs: c.heartbeat_interval_ms,
    pollWaitMs: c.poll_wait_ms,
    logLevel: c.log_level,
    capabilities: {
      gpuModel: c.capabilities.gpu_model,
      gpuMemoryMiB: c.capabilities.gpu_memory_mib,
      storageBytes: BigInt(c.capabilities.storage_bytes),
      bandwidthClass: c.capabilities.bandwidth_class,
      computeClass: c.capabilities.compute_class,
    },
    storage: c.storage && {
      file: resolve(dirname(path), c.storage.file),
      chunks: c.storage.chunks,
      chunkBytes: c.storage.chunk_bytes,
    },
    ...(c.chain && {
      chain: {
        rpcUrl: c.chain.rpc_url,
        registry: c.chain.registry as `0x${string}`,
        settlement: c.chain.settlement as `0x${string}`,
        networkId: BigInt(c.chain.network_id),
        discover: c.chain.discover,
      },
    }),
    ...(c.tls_ca_file && { tlsCa: readCaFile(resolve(dirname(path), c.tls_ca_file)) }),
  };
}

/** `tls_ca_file`: one or more PEM certificates, each of which must parse; errors name the file. */
function readCaFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new DeviceConfigError(`${file} (tls_ca_file): cannot read: ${(e as Error).message}`);
  }
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certs.length === 0) throw new DeviceConfigError(`${file} (tls_ca_file): no PEM certificate in it`);
  for (const pem of certs)
    try {
      new X509Certificate(pem);
    } catch (e) {
      throw new DeviceConfigError(`${file} (tls_ca_file): not a valid certificate: ${(e as Error).message}`);
    }
  return certs;
}
