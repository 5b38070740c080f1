import { isIP } from "node:net";
import { isAddress } from "viem";
import { z } from "zod";
import { parseCron } from "../cre-host/cron";
import { defaultRetentionOptions, RETENTION_EPOCHS_MAX, RETENTION_EPOCHS_MIN } from "../store/index";

export const address = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), { message: "expected a 20-byte hex address (0x...)" });

const multiaddr = z.string().regex(/^\/(ip4|ip6|dns|dns4|dns6)\//, {
  message: "expected a multiaddr such as /ip4/0.0.0.0/tcp/9000",
});

const uint64 = z
  .union([z.number().int().nonnegative(), z.bigint().nonnegative()])
  .transform((v) => BigInt(v));

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A listen address: an IP literal (0.0.0.0 / :: for every interface) or a host name, no scheme or port. */
const listenHost = z.string().refine((v) => isIP(v) !== 0 || HOST_NAME.test(v), {
  message: "expected an IP address or host name to listen on, e.g. 127.0.0.1 or 0.0.0.0 (no scheme, no port)",
});

const listenPort = z
  .number()
  .int({ message: "expected a whole port number" })
  .min(0, { message: "expected a port from 0 to 65535 (0: any free port)" })
  .max(65535, { message: "expected a port from 0 to 65535 (0: any free port)" });

/** PEM certificate (chain) and key, relative to the config file. */
const tlsFiles = z.strictObject({ cert_file: z.string().min(1), key_file: z.string().min(1) });

/** The admin listener's default port when `[admin]` sets none (the API's 8080 + 2, the gateway's + 1). */
export const DEFAULT_ADMIN_PORT = 8082;

/** Log levels pino understands. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * The node's configuration file, as written in TOML (snake_case keys). This schema is the single
 * source of the config type: `NodeConfig` is its output. Unknown keys are errors, so a typo does not
 * silently fall back to a default.
 */
export const nodeConfigSchema = z.strictObject({
  /** Everything the node persists (keys, SQLite store). Relative paths resolve against the config file. */
  data_dir: z.string().min(1),
  log_level: z.enum(LOG_LEVELS).default("info"),
  /** DePIN networks (registry ids) this node verifies. */
  networks: z.array(uint64).min(1, { message: "expected at least one network id" }),
  p2p: z
    .strictObject({
      listen: z.array(multiaddr).default(["/ip4/0.0.0.0/tcp/9000"]),
      bootstrap: z
        .array(
          z.string().regex(/\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/, "expected a multiaddr ending in /p2p/<peer id>"),
        )
        .default([]),
      mdns: z.boolean().default(false),
      /** Ed25519 libp2p key (typed v3 keystore, or protobuf), relative to data_dir. */
      peer_key_file: z.string().min(1).default("peer.key"),
    })
    .prefault({}),
  /** The public feed API (`/v1/...`, `/assignment`, probes); also the device gateway's when `[gateway]` has no port. */
  api: z.strictObject({
    host: listenHost.default("127.0.0.1"),
    port: listenPort,
    /** Bearer token for /admin endpoints (served by `[admin]`); at least 16 characters so it is not guessable. */
    admin_token: z.string().min(16, { message: "expected at least 16 characters" }),
    /**
     * Serve the API over HTTPS: PEM certificate (chain) and key, relative to the config file.
     * Optional: nothing the node verifies rests on it (docs/operator.md).
     */
    tls: tlsFiles.optional(),
  }),
  /**
   * The device gateway (`/device/...`) on its own listener. Without a port it stays on the `[api]`
   * listener (and its TLS), as before this section existed, so devices' `nodes` URLs keep working.
   */
  gateway: z
    .strictObject({
      /** Default: `api.host`. Devices elsewhere need a public address (0.0.0.0). */
      host: listenHost.optional(),
      port: listenPort.optional(),
      tls: tlsFiles.optional(),
      /**
       * The gateway's URL as devices reach it (e.g. `https://node.example.org:8081/device`), signed
       * into this node's gateway record so devices can discover it. Default: the listener's URL plus
       * `/device`, unless it listens on 0.0.0.0 or :: (then nothing is announced, with a warning).
       */
      public_url: z
        .url({ protocol: /^https?$/, message: "expected an http(s) URL" })
        .max(255, { message: "expected at most 255 characters" })
        .optional(),
    })
    .prefault({}),
  /**
   * Metrics and `/admin/*` (bearer token over plain HTTP): loopback by default. Bind it elsewhere
   * only on a private network, behind a firewall or a TLS proxy (docs/operator.md, "Listeners").
   */
  admin: z
    .strictObject({
      host: listenHost.default("127.0.0.1"),
      port: listenPort.default(DEFAULT_ADMIN_PORT),
    })
    .prefault({}),
  chain: z.strictObject({
    rpc_urls: z
      .array(z.url({ protocol: /^(https?|wss?)$/ }))
      .min(1, { message: "expected at least one RPC URL" }),
    chain_id: z.number().int().positive(),
    /** Deployment JSON written by scripts/deploy (docs/interfaces.md); explicit addresses below win. */
    deployment_file: z.string().min(1).optional(),
    settlement: address.optional(),
    registry: address.optional(),
    forwarder: address.optional(),
    token: address.optional(),
    /** Ethereum signer key (v3 keystore, or 0x-prefixed hex), relative to data_dir. */
    signer_key_file: z.string().min(1).default("eth.key"),
  }),
  /** The keystore password's file (docs/operator.md, "Keys"); `VIGIL_KEYSTORE_PASSWORD` wins over it. */
  keys: z
    .strictObject({
      /** File whose first line is the password, relative to the config file. */
      password_file: z.string().min(1).optional(),
    })
    .prefault({}),
  /** Devnet-only overrides of the on-chain epoch timing. */
  epoch: z
    .strictObject({
      length_seconds: z.number().int().positive().optional(),
      genesis_time: z.number().int().nonnegative().optional(),
      /** How long after an epoch ends the node waits for late gossip before closing it. */
      close_grace_ms: z.number().int().nonnegative().default(2_000),
    })
    .prefault({}),
  /** The node's SQLite store (docs/operator.md, "Store retention"). */
  store: z
    .strictObject({
      /**
       * Settled epochs kept per network; older ones are deleted once per settlement. At least 8: the
       * agreement drops gossip older than its 4-epoch window and kind-2 slashes name the current or
       * previous epoch, so nothing still in play is ever pruned (unsettled epochs never are).
       */
      retention_epochs: z
        .number({ message: "expected a whole number of epochs" })
        .int({ message: "expected a whole number of epochs" })
        .min(RETENTION_EPOCHS_MIN, {
          message: `expected at least ${RETENTION_EPOCHS_MIN} epochs (the agreement and fraud slashing still use the last few)`,
        })
        .max(RETENTION_EPOCHS_MAX, {
          message: `expected at most ${RETENTION_EPOCHS_MAX} epochs`,
        })
        .default(defaultRetentionOptions.retentionEpochs),
    })
    .prefault({}),
  /** The live verdict stream (docs/consumers.md, "Live verdicts"). */
  feed: z
    .strictObject({
      /** Provisional verdicts published per device per epoch at most (fraud is always published). */
      max_verdicts_per_device: z.number().int().min(0).max(1_000).default(16),
      /** Stream events kept for `Last-Event-ID` resume (all networks together). */
      resume_events: z.number().int().min(1).max(1_000_000).default(4096),
      /** Push every stream event to these receivers (POST, HMAC-signed body; docs/consumers.md). */
      webhooks: z
        .strictObject({
          urls: z
            .array(z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }))
            .max(16)
            .default([]),
          /** File holding the shared HMAC secret (at least 16 bytes; surrounding whitespace ignored). */
          secret_file: z.string().min(1).optional(),
          /** Events queued per receiver while it is down; the oldest is dropped past it. */
          queue: z.number().int().min(1).max(100_000).default(1024),
          retries: z.number().int().min(0).max(20).default(5),
        })
        .refine((w) => w.urls.length === 0 || w.secret_file !== undefined, {
          message: "feed.webhooks.urls needs feed.webhooks.secret_file (the receivers check the HMAC)",
          path: ["secret_file"],
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * The CRE host that settles agreed epochs and slashes proven fraud on chain (docs/cre.md). Everything
   * is derived from the deployment and the chain by default: the DON (signers, f) from the forwarder's
   * latest `ConfigSet` for `don_id` (followed live; `config_version` pins one), the workflow owner and
   * names from the settlement contract.
   */
  cre: z
    .strictObject({
      /** Default: on when the DON id is known (deployment file or below). */
      enabled: z.boolean().optional(),
      don_id: z.number().int().nonnegative().optional(),
      config_version: z.number().int().nonnegative().optional(),
      /** CRE chain selector of the settlement chain and its SDK name (default: anvil's). */
      // A decimal string: selectors exceed 2^53, which TOML integers cannot carry losslessly here.
      chain_selector: z
        .union([
          z.string().regex(/^\d{1,20}$/, { message: "expected a decimal chain selector" }),
          z.number().int().nonnegative(),
        ])
        .transform((v) => BigInt(v))
        .default(7759470850252068959n),
      chain_selector_name: z.string().min(1).default("anvil-devnet"),
      /** Where `epoch-settlement/` and `fraud-slashing/` live (default: this checkout's `workflows/`). */
      workflows_dir: z.string().min(1).optional(),
      /** When the epoch-settlement workflow looks for the next epoch to settle (CRE cron, seconds first). */
      // Every 2 s: a certified epoch settles within seconds, well before the next epoch boundary, where
      // a settlement (which moves the beacon) could land between nodes' assignment snapshots.
      settle_schedule: z
        .string()
        .refine(
          (v) => {
            try {
              parseCron(v);
              return true;
            } catch {
              return false;
            }
          },
          { message: "expected a CRE cron schedule (5 or 6 fields, seconds first, UTC)" },
        )
        .default("*/2 * * * * *"),
      /** Gas limit of each `KeystoneForwarder.report` call (estimation would starve `onReport`). */
      gas_limit: z.number().int().positive().default(1_000_000),
      /** Token base units slashed per proven fraud (decimal string: amounts exceed 2^53). */
      slash_amount: z
        .string()
        .regex(/^(0|[1-9]\d*)$/, { message: "expected a decimal unsigned integer" })
        .default("1000000000000000000"),
      /** Delay between one node's turn to transmit a report and the next node's. */
      transmit_delay_ms: z.number().int().nonnegative().default(1_500),
      /** Secrets the workflows read (`VIGIL_NODE_API_URL` defaults to this node's own API). */
      secrets: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
});

export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
export type NodeConfigFile = z.output<typeof nodeConfigSchema>;

/** Contract addresses the node talks to; all four are required once the config is resolved. */
export interface DeploymentAddresses {
  settlement: `0x${string}`;
  registry: `0x${string}`;
  forwarder: `0x${string}`;
  token: `0x${string}`;
}

/** A validated configuration with paths made absolute and deployment addresses resolved. */
export interface NodeConfig {
  configPath: string | undefined;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  networks: bigint[];
  p2p: { listen: string[]; bootstrap: string[]; mdns: boolean; peerKeyFile: string };
  api: {
    host: string;
    port: number;
    adminToken: string;
    /** `[api.tls]`: absolute paths of the PEM certificate and key; unset, the API is plain HTTP. */
    tls?: { certFile: string; keyFile: string };
  };
  /** `[gateway]`: the device gateway's own listener; `undefined` when it shares the `[api]` listener. */
  gateway: { host: string; port: number; tls?: { certFile: string; keyFile: string } } | undefined;
  /** `gateway.public_url`: the device gateway's URL as devices reach it (its gateway record). */
  gatewayPublicUrl?: string;
  /** `[admin]`: metrics and `/admin/*`, plain HTTP (the token is `api.adminToken`). */
  admin: { host: string; port: number };
  chain: {
    rpcUrls: string[];
    chainId: number;
    signerKeyFile: string;
    addresses: DeploymentAddresses;
  };
  /** `[keys]`: absolute path of the keystore password file, if set. */
  keys: { passwordFile?: string };
  epoch: { lengthSeconds?: number; genesisTime?: number; closeGraceMs: number };
  /** `[store]`: how much history the SQLite store keeps. */
  store: { retentionEpochs: number };
  feed: {
    maxVerdictsPerDevice: number;
    resumeEvents: number;
    webhooks: { urls: string[]; secretFile?: string; queue: number; retries: number };
  };
  /** The CRE host's settings; `undefined` when it is off. */
  cre: CreConfig | undefined;
}

/** Resolved `[cre]` section (see `nodeConfigSchema.cre`). */
export interface CreConfig {
  /** `cre.enabled = true` was set: a failing CRE start fails the node (else it runs without). */
  required: boolean;
  donId: number;
  /** Pins the forwarder config version (`cre.config_version`); unset, the node follows the latest one. */
  configVersion?: number;
  /** Block to read the forwarder's `ConfigSet` events from (deployment `deployBlock`, else 0). */
  fromBlock: bigint;
  chainSelector: bigint;
  chainSelectorName: string;
  workflowsDir: string;
  settleSchedule: string;
  gasLimit: number;
  slashAmount: string;
  transmitDelayMs: number;
  secrets: Record<string, string>;
}
