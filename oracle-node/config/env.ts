/** How an environment variable's string becomes a TOML-like value before validation. */
type EnvKind = "string" | "int" | "bool" | "list" | "intList";

/**
 * Environment overrides: variable name → dotted config key and how to parse it. Explicit rather than
 * derived from the schema so that the names are greppable and documented in docs/operator.md.
 */
export const ENV_OVERRIDES: Record<string, { key: string; kind: EnvKind }> = {
  VIGIL_DATA_DIR: { key: "data_dir", kind: "string" },
  VIGIL_LOG_LEVEL: { key: "log_level", kind: "string" },
  VIGIL_NETWORKS: { key: "networks", kind: "intList" },
  VIGIL_P2P_LISTEN: { key: "p2p.listen", kind: "list" },
  VIGIL_P2P_BOOTSTRAP: { key: "p2p.bootstrap", kind: "list" },
  VIGIL_P2P_MDNS: { key: "p2p.mdns", kind: "bool" },
  VIGIL_API_HOST: { key: "api.host", kind: "string" },
  VIGIL_API_PORT: { key: "api.port", kind: "int" },
  VIGIL_API_ADMIN_TOKEN: { key: "api.admin_token", kind: "string" },
  VIGIL_API_TLS_CERT_FILE: { key: "api.tls.cert_file", kind: "string" },
  VIGIL_API_TLS_KEY_FILE: { key: "api.tls.key_file", kind: "string" },
  VIGIL_GATEWAY_HOST: { key: "gateway.host", kind: "string" },
  VIGIL_GATEWAY_PORT: { key: "gateway.port", kind: "int" },
  VIGIL_GATEWAY_TLS_CERT_FILE: { key: "gateway.tls.cert_file", kind: "string" },
  VIGIL_GATEWAY_TLS_KEY_FILE: { key: "gateway.tls.key_file", kind: "string" },
  VIGIL_GATEWAY_PUBLIC_URL: { key: "gateway.public_url", kind: "string" },
  VIGIL_ADMIN_HOST: { key: "admin.host", kind: "string" },
  VIGIL_ADMIN_PORT: { key: "admin.port", kind: "int" },
  VIGIL_CHAIN_RPC_URLS: { key: "chain.rpc_urls", kind: "list" },
  VIGIL_CHAIN_ID: { key: "chain.chain_id", kind: "int" },
  VIGIL_CHAIN_DEPLOYMENT_FILE: { key: "chain.deployment_file", kind: "string" },
  VIGIL_CHAIN_SETTLEMENT: { key: "chain.settlement", kind: "string" },
  VIGIL_CHAIN_REGISTRY: { key: "chain.registry", kind: "string" },
  VIGIL_CHAIN_FORWARDER: { key: "chain.forwarder", kind: "string" },
  VIGIL_CHAIN_TOKEN: { key: "chain.token", kind: "string" },
  VIGIL_EPOCH_LENGTH_SECONDS: { key: "epoch.length_seconds", kind: "int" },
  VIGIL_EPOCH_GENESIS_TIME: { key: "epoch.genesis_time", kind: "int" },
  VIGIL_STORE_RETENTION_EPOCHS: { key: "store.retention_epochs", kind: "int" },
  VIGIL_CRE_ENABLED: { key: "cre.enabled", kind: "bool" },
  VIGIL_CRE_DON_ID: { key: "cre.don_id", kind: "int" },
  VIGIL_CRE_CONFIG_VERSION: { key: "cre.config_version", kind: "int" },
  VIGIL_CRE_WORKFLOWS_DIR: { key: "cre.workflows_dir", kind: "string" },
  VIGIL_CRE_SETTLE_SCHEDULE: { key: "cre.settle_schedule", kind: "string" },
};

function parseEnv(raw: string, kind: EnvKind): unknown {
  const list = () =>
    raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  switch (kind) {
    case "string":
      return raw;
    // A value that does not parse stays a string, so validation reports "expected number, received string"
    // against the key, naming the variable it came from.
    case "int":
      return /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    case "bool":
      return raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : raw;
    case "list":
      return list();
    case "intList":
      return list().map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  }
}

/**
 * Applies `VIGIL_*` overrides onto a parsed TOML object (copied, not mutated). Returns the merged
 * object and which keys came from which variable, for error messages.
 */
export function applyEnvOverrides(
  file: Record<string, unknown>,
  env: Record<string, string | undefined>,
): { merged: Record<string, unknown>; sources: Map<string, string> } {
  const merged = structuredClone(file);
  const sources = new Map<string, string>();
  for (const [name, { key, kind }] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const path = key.split(".");
    let target = merged;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (typeof next !== "object" || next === null || Array.isArray(next)) target[part] = {};
      target = target[part] as Record<string, unknown>;
    }
    target[path.at(-1)!] = parseEnv(raw, kind);
    sources.set(key, name);
  }
  return { merged, sources };
}
