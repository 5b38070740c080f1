import { stringify } from "smol-toml";
import { defaultRetentionOptions } from "../store/index";

export interface RenderConfigOptions {
  dataDir: string;
  networks: bigint[];
  apiPort: number;
  apiHost?: string;
  /** The device gateway's own port; unset, the gateway stays on the API listener (section commented out). */
  gatewayPort?: number;
  /** Default: `apiHost`. */
  gatewayHost?: string;
  /** Metrics and /admin; 0 picks a free port (tests). */
  adminPort: number;
  /** Default: 127.0.0.1. */
  adminHost?: string;
  adminToken: string;
  p2pListen: string[];
  bootstrap?: string[];
  mdns?: boolean;
  rpcUrls: string[];
  chainId: number;
  deploymentFile?: string;
  /** `keys.password_file`, relative to the config file; unset, the section is written commented out. */
  passwordFile?: string;
  logLevel?: string;
}

/** TOML literal of a value (strings quoted and escaped, arrays inline) via smol-toml. */
function lit(value: unknown): string {
  return stringify({ v: value }).replace(/^v = /, "").trim();
}

/**
 * The commented config file `vigil node init` writes. Comments explain each key and its
 * environment override so the file doubles as the operator's reference.
 */
export function renderConfig(o: RenderConfigOptions): string {
  return `# Vigil oracle node configuration (docs/operator.md).
# Every key can be overridden by an environment variable, named after each key below.

# Where the node keeps its keys and its SQLite store. Relative paths resolve against this file. (VIGIL_DATA_DIR)
data_dir = ${lit(o.dataDir)}

# fatal | error | warn | info | debug | trace | silent (VIGIL_LOG_LEVEL)
log_level = ${lit(o.logLevel ?? "info")}

# Registry ids of the DePIN networks this node verifies. (VIGIL_NETWORKS, comma-separated)
networks = [${o.networks.map(String).join(", ")}]

[p2p]
# libp2p listen multiaddrs. (VIGIL_P2P_LISTEN, comma-separated)
listen = ${lit(o.p2pListen)}
# Other oracle nodes to dial at start: multiaddrs ending in /p2p/<peer id>. (VIGIL_P2P_BOOTSTRAP)
bootstrap = ${lit(o.bootstrap ?? [])}
# Discover peers on the local network; only useful on a LAN devnet. (VIGIL_P2P_MDNS)
mdns = ${o.mdns ?? false}
# Ed25519 libp2p identity (encrypted keystore, or protobuf), relative to data_dir. Register its peer id on chain.
peer_key_file = "peer.key"

[api]
# Public feed API: /v1/... (results with proofs), /assignment, /health, /ready. Port 0: any free port.
# Feed readers elsewhere need a public address, e.g. 0.0.0.0. (VIGIL_API_HOST, VIGIL_API_PORT)
host = ${lit(o.apiHost ?? "127.0.0.1")}
port = ${o.apiPort}
# Bearer token for /admin/* on the [admin] listener; keep this file private. (VIGIL_API_ADMIN_TOKEN)
admin_token = ${lit(o.adminToken)}
# Serve this API over HTTPS: PEM certificate (chain) and its key, relative to this file. Or leave
# it off and terminate TLS in a reverse proxy in front (docs/operator.md).
# (VIGIL_API_TLS_CERT_FILE, VIGIL_API_TLS_KEY_FILE)
# [api.tls]
# cert_file = "tls/cert.pem"
# key_file = "tls/key.pem"

${o.gatewayPort === undefined ? "# " : ""}[gateway]
# Device gateway: /device/... (devices' heartbeats and challenge answers), /health, /ready. Devices
# elsewhere need a public address, e.g. 0.0.0.0; their \`nodes\` URLs end in /device.
# Without a port the gateway stays on the [api] listener and uses its TLS. (VIGIL_GATEWAY_HOST, VIGIL_GATEWAY_PORT)
${o.gatewayPort === undefined ? "# " : ""}host = ${lit(o.gatewayHost ?? o.apiHost ?? "127.0.0.1")}
${o.gatewayPort === undefined ? "# port = 8081" : `port = ${o.gatewayPort}`}
# HTTPS for the gateway, as for [api]. (VIGIL_GATEWAY_TLS_CERT_FILE, VIGIL_GATEWAY_TLS_KEY_FILE)
# [gateway.tls]
# cert_file = "tls/cert.pem"
# key_file = "tls/key.pem"

[admin]
# Prometheus /metrics and /admin/* (bearer token over plain HTTP), plus /health and /ready.
# Keep it on loopback, or on a private network behind a firewall or a TLS proxy: the token and
# the metrics must not cross an untrusted network. (VIGIL_ADMIN_HOST, VIGIL_ADMIN_PORT)
host = ${lit(o.adminHost ?? "127.0.0.1")}
port = ${o.adminPort}

[chain]
# JSON-RPC endpoints of the home chain, tried in order. (VIGIL_CHAIN_RPC_URLS, comma-separated)
rpc_urls = ${lit(o.rpcUrls)}
chain_id = ${o.chainId}  # (VIGIL_CHAIN_ID)
# Addresses from scripts/deploy's JSON output (VIGIL_CHAIN_DEPLOYMENT_FILE) ...
${o.deploymentFile ? `deployment_file = ${lit(o.deploymentFile)}` : '# deployment_file = "deployment.json"'}
# ... or set each one (wins over the file): settlement, registry, forwarder, token.
# settlement = "0x..."   # (VIGIL_CHAIN_SETTLEMENT, _REGISTRY, _FORWARDER, _TOKEN)
# Ethereum signer key (v3 keystore, or 0x-prefixed hex), relative to data_dir. Register its address on chain.
signer_key_file = "eth.key"

# The keys' password (docs/operator.md, "Keys"): VIGIL_KEYSTORE_PASSWORD, or a file whose first line it
# is, relative to this file (VIGIL_KEYSTORE_PASSWORD_FILE, relative to the working directory). Keep it 0600.
${o.passwordFile ? `[keys]\npassword_file = ${lit(o.passwordFile)}` : '# [keys]\n# password_file = "keystore-password"'}

[epoch]
# Devnet only: override the network's on-chain epoch timing. (VIGIL_EPOCH_LENGTH_SECONDS, VIGIL_EPOCH_GENESIS_TIME)
# length_seconds = 30
# genesis_time = 1700000000
# Milliseconds to wait after an epoch ends for late gossip before closing it.
close_grace_ms = 2000

[store]
# Settled epochs of history the SQLite store keeps per network (8 .. 1000000); older epochs are
# deleted once each epoch settles, unsettled ones never. Disk: ~0.6 KB per device and epoch kept
# with 4 oracles and k = 2 (docs/operator.md, "Store retention"). (VIGIL_STORE_RETENTION_EPOCHS)
retention_epochs = ${defaultRetentionOptions.retentionEpochs}

# CRE host (settles agreed epochs and slashes fraud through the KeystoneForwarder; docs/cre.md).
# On by default when the deployment file has a donId; the DON (signers, f) comes from the forwarder's
# latest config, followed live, the workflow owner and names from the settlement contract. The signer
# key pays for reports.
# [cre]
# enabled = true                          # (VIGIL_CRE_ENABLED)
# don_id = 1                              # (VIGIL_CRE_DON_ID; default: deployment donId)
# config_version = 1                      # pin one version (VIGIL_CRE_CONFIG_VERSION; default: follow the latest)
# settle_schedule = "*/2 * * * * *"       # (VIGIL_CRE_SETTLE_SCHEDULE)
# chain_selector = "7759470850252068959"  # CRE chain selector (string); chain_selector_name = "anvil-devnet"
# gas_limit = 1000000
# slash_amount = "1000000000000000000"
# transmit_delay_ms = 1500
`;
}
