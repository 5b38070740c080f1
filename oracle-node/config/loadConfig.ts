import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, TomlError } from "smol-toml";
import { z } from "zod";
import { applyEnvOverrides } from "./env";
import { ConfigError, type ConfigIssue } from "./errors";
import {
  address,
  type CreConfig,
  type DeploymentAddresses,
  type NodeConfig,
  type NodeConfigFile,
  nodeConfigSchema,
} from "./schema";

export interface LoadConfigOptions {
  /** Path of the TOML file; without it the config comes from the environment alone. */
  path?: string;
  /** Environment to read `VIGIL_*` overrides from (default: `process.env`). */
  env?: Record<string, string | undefined>;
}

const deploymentSchema = z.looseObject({
  chainId: z.number().int().positive(),
  settlement: address,
  registry: address,
  forwarder: address,
  token: address,
  deployBlock: z.number().int().nonnegative().optional(),
  donId: z.number().int().nonnegative().optional(),
  configVersion: z.number().int().nonnegative().optional(),
});

/** This checkout's workflows (oracle-node/config/ → ../../workflows). */
const DEFAULT_WORKFLOWS_DIR = fileURLToPath(new URL("../../workflows/", import.meta.url));

function issueKey(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
    .join(".")
    .replace(/\.\[/g, "[");
}

/** Reads, merges (file < environment) and validates the node configuration. Throws `ConfigError`. */
export function loadConfig(options: LoadConfigOptions = {}): NodeConfig {
  const env = options.env ?? process.env;
  let file: Record<string, unknown> = {};
  if (options.path !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.path, "utf8");
    } catch (cause) {
      throw new ConfigError("CONFIG_NOT_FOUND", `cannot read config file ${options.path}`, [], { cause });
    }
    try {
      file = parse(text);
    } catch (cause) {
      const where = cause instanceof TomlError ? ` (line ${cause.line}, column ${cause.column})` : "";
      throw new ConfigError("CONFIG_PARSE", `config file ${options.path} is not valid TOML${where}`, [], {
        cause,
      });
    }
  }
  return resolveConfig(file, { env, path: options.path });
}

/** Validates an already-parsed config object; exposed for tests and for callers that build config in code. */
export function resolveConfig(
  file: Record<string, unknown>,
  options: { env?: Record<string, string | undefined>; path?: string } = {},
): NodeConfig {
  const { merged, sources } = applyEnvOverrides(file, options.env ?? {});
  const source = options.path ? `config file ${options.path}` : "configuration";
  const parsed = nodeConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.map((issue) => {
      const key = issueKey(issue.path) || "(root)";
      const env = sources.get(key.replace(/\[\d+\]$/, ""));
      const unknownKeys = issue.code === "unrecognized_keys" ? issue.keys : undefined;
      const message = unknownKeys ? `unknown key(s) ${unknownKeys.join(", ")}` : issue.message;
      return env ? { key, message, env } : { key, message };
    });
    // Also name missing contract addresses now, so one run lists everything to fix.
    const chain = merged.chain as Record<string, unknown> | undefined;
    if (chain && typeof chain === "object" && chain.deployment_file === undefined)
      for (const k of ADDRESS_KEYS)
        if (chain[k] === undefined && !issues.some((i) => i.key === `chain.${k}`))
          issues.push({
            key: `chain.${k}`,
            message: "expected a contract address (set it or chain.deployment_file)",
          });
    throw new ConfigError("CONFIG_INVALID", `${source} is invalid:`, issues);
  }
  const c = parsed.data;
  const base = options.path ? dirname(resolve(options.path)) : process.cwd();
  const dataDir = isAbsolute(c.data_dir) ? c.data_dir : resolve(base, c.data_dir);
  const inData = (p: string) => (isAbsolute(p) ? p : resolve(dataDir, p));
  const inBase = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const { addresses, deployment } = resolveAddresses(c.chain, c.chain.chain_id, base);
  const gateway =
    c.gateway.port === undefined
      ? undefined
      : {
          host: c.gateway.host ?? c.api.host,
          port: c.gateway.port,
          ...(c.gateway.tls && {
            tls: { certFile: inBase(c.gateway.tls.cert_file), keyFile: inBase(c.gateway.tls.key_file) },
          }),
        };
  checkListeners(c, gateway, source, sources);
  return {
    configPath: options.path ? resolve(options.path) : undefined,
    dataDir,
    logLevel: c.log_level,
    networks: c.networks,
    p2p: {
      listen: c.p2p.listen,
      bootstrap: c.p2p.bootstrap,
      mdns: c.p2p.mdns,
      peerKeyFile: inData(c.p2p.peer_key_file),
    },
    api: {
      host: c.api.host,
      port: c.api.port,
      adminToken: c.api.admin_token,
      ...(c.api.tls && {
        tls: { certFile: inBase(c.api.tls.cert_file), keyFile: inBase(c.api.tls.key_file) },
      }),
    },
    gateway,
    ...(c.gateway.public_url && { gatewayPublicUrl: c.gateway.public_url }),
    admin: { host: c.admin.host, port: c.admin.port },
    chain: {
      rpcUrls: c.chain.rpc_urls,
      chainId: c.chain.chain_id,
      signerKeyFile: inData(c.chain.signer_key_file),
      addresses,
    },
    keys: c.keys.password_file === undefined ? {} : { passwordFile: inBase(c.keys.password_file) },
    epoch: {
      lengthSeconds: c.epoch.length_seconds,
      genesisTime: c.epoch.genesis_time,
      closeGraceMs: c.epoch.close_grace_ms,
    },
    store: { retentionEpochs: c.store.retention_epochs },
    feed: {
      maxVerdictsPerDevice: c.feed.max_verdicts_per_device,
      resumeEvents: c.feed.resume_events,
      webhooks: {
        urls: c.feed.webhooks.urls,
        ...(c.feed.webhooks.secret_file !== undefined && { secretFile: inBase(c.feed.webhooks.secret_file) }),
        queue: c.feed.webhooks.queue,
        retries: c.feed.webhooks.retries,
      },
    },
    cre: resolveCre(c.cre, deployment, base),
  };
}

const WILDCARD = new Set(["0.0.0.0", "::"]);

/**
 * The listeners' settings that the schema cannot check key by key: a `[gateway]` that sets host or
 * TLS but no port (it would silently stay on `[api]`), and two listeners on one port of one address.
 */
function checkListeners(
  c: NodeConfigFile,
  gateway: { host: string; port: number } | undefined,
  source: string,
  sources: Map<string, string>,
) {
  const issues: ConfigIssue[] = [];
  if (!gateway)
    for (const key of ["host", "tls"] as const)
      if (c.gateway[key] !== undefined)
        issues.push({
          key: `gateway.${key}`,
          message: `gateway.${key} needs gateway.port: without a port the device gateway stays on the [api] listener`,
        });
  const listeners = [
    { key: "api", host: c.api.host, port: c.api.port },
    ...(gateway ? [{ key: "gateway", ...gateway }] : []),
    { key: "admin", host: c.admin.host, port: c.admin.port },
  ];
  for (const [i, a] of listeners.entries()) {
    const b = listeners
      .slice(0, i)
      .find(
        (b) =>
          a.port !== 0 &&
          a.port === b.port &&
          (a.host === b.host || WILDCARD.has(a.host) || WILDCARD.has(b.host)),
      );
    if (b)
      issues.push({
        key: `${a.key}.port`,
        message: `${a.key} and ${b.key} both listen on port ${a.port}; give each listener its own port`,
      });
  }
  if (issues.length > 0)
    throw new ConfigError(
      "CONFIG_INVALID",
      `${source} is invalid:`,
      issues.map((i) => {
        // A section (gateway.tls) names the variable that set one of its keys.
        const env = sources.get(i.key) ?? [...sources].find(([k]) => k.startsWith(`${i.key}.`))?.[1];
        return env ? { ...i, env } : i;
      }),
    );
}

/** The `[cre]` section with the DON's id and version taken from the deployment unless set. */
function resolveCre(
  cre: NodeConfigFile["cre"],
  deployment: { donId?: number; configVersion?: number; deployBlock?: number },
  base: string,
): CreConfig | undefined {
  const donId = cre.don_id ?? deployment.donId;
  // Not the deployment's version: the node follows the forwarder's latest config unless pinned here.
  const configVersion = cre.config_version;
  if (cre.enabled === false) return undefined;
  if (donId === undefined) {
    if (cre.enabled !== true) return undefined;
    throw new ConfigError("CONFIG_INVALID", "configuration is invalid:", [
      {
        key: "cre.don_id",
        message: "cre.enabled needs the forwarder's DON id (set it or chain.deployment_file)",
      },
    ]);
  }
  const dir = cre.workflows_dir;
  return {
    required: cre.enabled === true,
    donId,
    ...(configVersion !== undefined && { configVersion }),
    fromBlock: BigInt(deployment.deployBlock ?? 0),
    chainSelector: cre.chain_selector,
    chainSelectorName: cre.chain_selector_name,
    workflowsDir: dir === undefined ? DEFAULT_WORKFLOWS_DIR : isAbsolute(dir) ? dir : resolve(base, dir),
    settleSchedule: cre.settle_schedule,
    gasLimit: cre.gas_limit,
    slashAmount: cre.slash_amount,
    transmitDelayMs: cre.transmit_delay_ms,
    secrets: cre.secrets,
  };
}

const ADDRESS_KEYS = ["settlement", "registry", "forwarder", "token"] as const;

function resolveAddresses(
  chain: Partial<Record<(typeof ADDRESS_KEYS)[number], string>> & { deployment_file?: string },
  chainId: number,
  base: string,
): { addresses: DeploymentAddresses; deployment: z.output<typeof deploymentSchema> | Record<string, never> } {
  let deployment: z.output<typeof deploymentSchema> | Record<string, never> = {};
  if (chain.deployment_file !== undefined) {
    const path = isAbsolute(chain.deployment_file)
      ? chain.deployment_file
      : resolve(base, chain.deployment_file);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (cause) {
      throw new ConfigError(
        "CONFIG_INVALID",
        "configuration is invalid:",
        [{ key: "chain.deployment_file", message: `cannot read deployment JSON at ${path}` }],
        { cause },
      );
    }
    const parsed = deploymentSchema.safeParse(json);
    if (!parsed.success)
      throw new ConfigError("CONFIG_INVALID", "configuration is invalid:", [
        {
          key: "chain.deployment_file",
          message: `${path} is not a deployment file: ${parsed.error.issues.map((i) => `${issueKey(i.path)}: ${i.message}`).join("; ")}`,
        },
      ]);
    if (parsed.data.chainId !== chainId)
      throw new ConfigError("CONFIG_INVALID", "configuration is invalid:", [
        {
          key: "chain.deployment_file",
          message: `deployment is for chain ${parsed.data.chainId} but chain.chain_id is ${chainId}`,
        },
      ]);
    deployment = parsed.data;
  }
  const missing = ADDRESS_KEYS.filter((k) => (chain[k] ?? deployment[k]) === undefined);
  if (missing.length > 0)
    throw new ConfigError(
      "CONFIG_INVALID",
      "configuration is invalid:",
      missing.map((k) => ({
        key: `chain.${k}`,
        message: "expected a contract address (set it or chain.deployment_file)",
      })),
    );
  const pick = (k: (typeof ADDRESS_KEYS)[number]) => (chain[k] ?? deployment[k]) as `0x${string}`;
  return {
    addresses: {
      settlement: pick("settlement"),
      registry: pick("registry"),
      forwarder: pick("forwarder"),
      token: pick("token"),
    },
    deployment,
  };
}
