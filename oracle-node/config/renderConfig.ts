import { stringify } from "smol-toml";
import { defaultRetentionOptions } from "../store/index";

export interface RenderConfigOptions {
  dataDir: string;
  networks: bigint[];
  apiPort: number;
  apiHost?: string;
  adminToken: string;
  p2pListen: string[];
  bootstrap?: string[];
  mdns?: boolean;
  rpcUrls: string[];
  chainId: number;
  deploymentFile?: string;
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
# Ed25519 libp2p identity (protobuf), relative to data_dir. Register its peer id on chain.
peer_key_file = "peer.key"

[api]
# HTTP API: health, metrics, feed, device gateway, admin. (VIGIL_API_HOST, VIGIL_API_PORT)
host = ${lit(o.apiHost ?? "127.0.0.1")}
port = ${o.apiPort}
# Bearer token for /admin/* endpoints; keep this file private. (VIGIL_API_ADMIN_TOKEN)
admin_token = ${lit(o.adminToken)}
# Serve this API, device gateway included, over HTTPS: PEM certificate (chain) and its key, relative
# to this file. Or leave it off and terminate TLS in a reverse proxy in front (docs/operator.md).
# (VIGIL_API_TLS_CERT_FILE, VIGIL_API_TLS_KEY_FILE)
# [api.tls]
# cert_file = "tls/cert.pem"
# key_file = "tls/key.pem"

[chain]
# JSON-RPC endpoints of the home chain, tried in order. (VIGIL_CHAIN_RPC_URLS, comma-separated)
rpc_urls = ${lit(o.rpcUrls)}
chain_id = ${o.chainId}  # (VIGIL_CHAIN_ID)
# Addresses from scripts/deploy's JSON output (VIGIL_CHAIN_DEPLOYMENT_FILE) ...
${o.deploymentFile ? `deployment_file = ${lit(o.deploymentFile)}` : '# deployment_file = "deployment.json"'}
# ... or set each one (wins over the file): settlement, registry, forwarder, token.
# settlement = "0x..."   # (VIGIL_CHAIN_SETTLEMENT, _REGISTRY, _FORWARDER, _TOKEN)
# Ethereum signer key (0x-prefixed hex), relative to data_dir. Register its address on chain.
signer_key_file = "eth.key"

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
# On by default when the deployment file has donId/configVersion; the DON (signers, f) comes from the
# forwarder, the workflow owner and names from the settlement contract. The signer key pays for reports.
# [cre]
# enabled = true                          # (VIGIL_CRE_ENABLED)
# don_id = 1                              # (VIGIL_CRE_DON_ID; default: deployment donId)
# config_version = 1                      # (VIGIL_CRE_CONFIG_VERSION; default: deployment configVersion)
# settle_schedule = "*/2 * * * * *"       # (VIGIL_CRE_SETTLE_SCHEDULE)
# chain_selector = "7759470850252068959"  # CRE chain selector (string); chain_selector_name = "anvil-devnet"
# gas_limit = 1000000
# slash_amount = "1000000000000000000"
# transmit_delay_ms = 1500
`;
}
