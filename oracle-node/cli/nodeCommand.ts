import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import type { Address, Hex } from "viem";
import { assignDevice } from "../assignment/index";
import { ConfigError, loadConfig } from "../config/index";
import { KeysError, passwordSource, resolvePassword } from "../keys/index";
import { startNode } from "../node";
import { initNode } from "./initNode";
import { keysCommand } from "./keysCommand";
import { runUntilSignal } from "./runUntilSignal";

function uint(value: string): bigint {
  if (!/^\d{1,20}$/.test(value) || BigInt(value) >= 2n ** 64n)
    throw new InvalidArgumentError("expected a uint64 decimal number");
  return BigInt(value);
}
function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("expected a port number (0-65535)");
  return n;
}
/** An IP address or host name to listen on (no scheme, port or path). */
function host(value: string): string {
  if (!/^([0-9A-Za-z.-]+|\[?[0-9A-Fa-f:.]+\]?)$/.test(value))
    throw new InvalidArgumentError("expected an IP address or host name, e.g. 0.0.0.0 or 127.0.0.1");
  return value.replace(/^\[(.*)\]$/, "$1");
}
function list(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
function hexBytes(value: string): Hex {
  if (!/^0x([0-9a-fA-F]{2})+$/.test(value)) throw new InvalidArgumentError("expected 0x-prefixed hex bytes");
  return value.toLowerCase() as Hex;
}

function hex32(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new InvalidArgumentError("expected 32 bytes of 0x-prefixed hex");
  return value.toLowerCase() as Hex;
}

const DEFAULT_CONFIG = "node.toml";

// Parsed flags per subcommand (commander types action arguments loosely; these name what the parsers produce).
interface InitFlags {
  dir: string;
  networks: bigint[];
  apiPort: number;
  apiHost: string;
  gatewayPort?: number;
  gatewayHost?: string;
  sharedGateway: boolean;
  adminPort: number;
  adminHost: string;
  p2pPort: number;
  rpcUrl: string[];
  chainId: number;
  deployment?: string;
  bootstrap: string[];
  mdns: boolean;
  force: boolean;
  passwordFile?: string;
  insecurePlaintextKeys: boolean;
  scryptN?: number;
}
interface StartFlags {
  config: string;
  devnet: boolean;
  passwordFile?: string;
}
interface StatusFlags {
  config: string;
  url?: string;
  token?: string;
}
interface AssignmentFlags extends StatusFlags {
  network: bigint;
  epoch?: bigint;
  device?: Hex;
  beacon?: Hex;
  nodes?: string[];
  k?: number;
}

/** A ConfigError's key-by-key message, or an error's message; no stack trace for operator mistakes. */
export function formatCliError(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** Runs an action; a failure prints one clean `error: ...` line set and exits non-zero. */
function handled<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      console.error(`error: ${formatCliError(error)}`);
      process.exitCode = 1;
    }
  };
}

/**
 * Where a running node's listener is (`admin`: metrics and /admin; `api`: the public feed API), and
 * its admin token: from --url/--token, else the config file.
 */
function apiTarget(
  opts: { config: string; url?: string; token?: string },
  listener: "admin" | "api" = "admin",
): { url: string; token?: string } {
  const token = opts.token ?? process.env.VIGIL_API_ADMIN_TOKEN;
  if (opts.url && (token || !existsSync(opts.config))) return { url: opts.url.replace(/\/$/, ""), token };
  const config = loadConfig({ path: opts.config });
  const { host: listen, port } = config[listener];
  const tls = listener === "api" && config.api.tls !== undefined;
  // A wildcard listen address is reached on loopback; an IPv6 literal goes in brackets.
  const host =
    listen === "0.0.0.0" || listen === "::" ? "127.0.0.1" : listen.includes(":") ? `[${listen}]` : listen;
  return {
    url: opts.url?.replace(/\/$/, "") ?? `${tls ? "https" : "http"}://${host}:${port}`,
    token: token ?? config.api.adminToken,
  };
}

async function getJson(url: string, token?: string, post?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(post === undefined ? {} : { method: "POST", body: JSON.stringify(post) }),
    });
  } catch (cause) {
    throw new Error(`cannot reach the node at ${url}: is it running? (${(cause as Error).message})`, {
      cause,
    });
  }
  const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok)
    throw new Error(
      `${url}: HTTP ${res.status} ${body?.error ? `${body.error.code}: ${body.error.message}` : ""}`,
    );
  return body;
}

/** `vigil node ...`: init, start, status, fraud-slash, assignment. Registered in scripts/vigil.ts. */
export function nodeCommand(): Command {
  const node = new Command("node").description("run and inspect a Vigil oracle node");

  node
    .command("init")
    .description("create the node's keys (libp2p Ed25519 and Ethereum signer) and a commented node.toml")
    .option("--dir <path>", "directory for node.toml (keys go to <dir>/data)", ".")
    .requiredOption("--networks <ids>", "comma-separated network ids to verify", (v) => list(v).map(uint))
    .option("--api-port <port>", "public feed API port", port, 8080)
    .option(
      "--api-host <address>",
      "feed API listen address; feed readers elsewhere need a public one, e.g. 0.0.0.0",
      host,
      "127.0.0.1",
    )
    .option("--gateway-port <port>", "device gateway port (default: 8081)", port)
    .option("--gateway-host <address>", "device gateway listen address (default: --api-host)", host)
    .option("--shared-gateway", "serve the device gateway on the API listener instead of its own", false)
    .option("--admin-port <port>", "metrics and /admin port", port, 8082)
    .option(
      "--admin-host <address>",
      "metrics and /admin listen address; the admin token travels in plain HTTP, keep it private",
      host,
      "127.0.0.1",
    )
    .option("--p2p-port <port>", "libp2p TCP port", port, 9000)
    .option("--rpc-url <urls>", "comma-separated chain RPC URLs", list, ["http://127.0.0.1:8545"])
    .option("--chain-id <id>", "chain id", (v) => Number(uint(v)), 31337)
    .option("--deployment <file>", "deployment JSON written by scripts/deploy")
    .option("--bootstrap <addrs>", "comma-separated bootstrap multiaddrs (/p2p/<id>)", list, [])
    .option("--mdns", "enable mDNS discovery (LAN devnets)", false)
    .option("--force", "overwrite an existing node.toml (keys are never overwritten)", false)
    .option(
      "--password-file <file>",
      "file whose first line encrypts the keys (else VIGIL_KEYSTORE_PASSWORD); written to node.toml as keys.password_file",
    )
    .option("--insecure-plaintext-keys", "write the keys unencrypted (devnets and tests only)", false)
    .addOption(
      new Option("--scrypt-n <n>", "scrypt cost of the keystores (tests)").argParser(Number).hideHelp(),
    )
    .action(
      handled(async (o: InitFlags) => {
        const result = await initNode({
          keystore: initKeystore(o),
          ...(o.passwordFile && { passwordFile: o.passwordFile }),
          dir: o.dir,
          networks: o.networks,
          apiPort: o.apiPort,
          apiHost: o.apiHost,
          ...(o.sharedGateway
            ? {}
            : { gatewayPort: o.gatewayPort ?? 8081, gatewayHost: o.gatewayHost ?? o.apiHost }),
          adminPort: o.adminPort,
          adminHost: o.adminHost,
          p2pPort: o.p2pPort,
          rpcUrls: o.rpcUrl,
          chainId: o.chainId,
          deploymentFile: o.deployment,
          bootstrap: o.bootstrap,
          mdns: o.mdns,
          force: o.force,
        });
        console.log(`config:   ${result.configPath}`);
        console.log(`data dir: ${result.dataDir}${result.reusedKeys ? " (existing keys kept)" : ""}`);
        console.log(`peer id:  ${result.peerId}`);
        console.log(`signer:   ${result.signer}`);
        console.log(
          `keys:     ${result.keyFormats.signer === "keystore" ? "encrypted keystores" : "PLAINTEXT"}`,
        );
        console.log(
          `Next: register the operator (\`vigil operator register --node-config ${result.configPath}\`), fund the signer with ETH (it pays for reports), then \`vigil node start -c ${result.configPath}\` (docs/operator.md).`,
        );
      }),
    );

  node
    .command("start")
    .description("start the node and run until SIGINT/SIGTERM")
    .option("-c, --config <path>", "config file", DEFAULT_CONFIG)
    .addOption(new Option("--devnet", "enable devnet-only admin actions").default(false))
    .option(
      "--password-file <file>",
      "keystore password file (else VIGIL_KEYSTORE_PASSWORD, keys.password_file)",
    )
    .action(
      handled(async (o: StartFlags) => {
        const config = loadConfig({ path: o.config });
        const password = passwordSource({
          passwordFile: o.passwordFile,
          configPasswordFile: config.keys.passwordFile,
        });
        await runUntilSignal(() => startNode(config, { devnet: o.devnet, password }));
      }),
    );

  node
    .command("status")
    .description("query a running node's admin status")
    .option("-c, --config <path>", "config file (for the admin address and token)", DEFAULT_CONFIG)
    .option("--url <url>", "admin listener base URL (instead of reading the config)")
    .option("--token <token>", "admin token (default: from the config or VIGIL_API_ADMIN_TOKEN)")
    .action(
      handled(async (o: StatusFlags) => {
        const { url, token } = apiTarget(o);
        const [health, ready, status] = await Promise.all([
          getJson(`${url}/health`),
          fetch(`${url}/ready`).then((r) => r.json()),
          getJson(`${url}/admin/status`, token),
        ]);
        console.log(JSON.stringify({ health, ready, status }, null, 2));
      }),
    );

  node
    .command("fraud-slash")
    .description(
      "run the fraud-slashing workflow for an evidence bundle on a running node (send it to every DON member)",
    )
    .requiredOption("--network <id>", "network id", uint)
    .requiredOption("--evidence <hex>", "the evidence bundle (0x-prefixed hex)", hexBytes)
    .option("-c, --config <path>", "config file (for the admin address and token)", DEFAULT_CONFIG)
    .option("--url <url>", "admin listener base URL (instead of reading the config)")
    .option("--token <token>", "admin token (default: from the config or VIGIL_API_ADMIN_TOKEN)")
    .action(
      handled(async (o: StatusFlags & { network: bigint; evidence: Hex }) => {
        const { url, token } = apiTarget(o);
        const outcome = await getJson(`${url}/admin/networks/${o.network}/fraud-slash`, token, {
          evidence: o.evidence,
        });
        console.log(JSON.stringify(outcome, null, 2));
      }),
    );

  node
    .command("assignment")
    .description(
      "which oracle nodes watch a network's devices in an epoch (asks the node, or computes offline)",
    )
    .requiredOption("--network <id>", "network id", uint)
    .option("--epoch <e>", "epoch (default: current)", uint)
    .option("--device <id>", "only this device (bytes32)", hex32)
    .option("-c, --config <path>", "config file (for the feed API address)", DEFAULT_CONFIG)
    .option("--url <url>", "feed API base URL")
    .option("--beacon <bytes32>", "compute offline from this beacon (with --nodes, --k and --device)", hex32)
    .option("--nodes <addresses>", "offline: comma-separated signer addresses", list)
    .option("--k <k>", "offline: nodes per device", (v) => Number(uint(v)))
    .action(
      handled(async (o: AssignmentFlags) => {
        if (o.beacon) {
          if (!o.nodes || !o.k || !o.device)
            throw new InvalidArgumentError("offline mode needs --nodes, --k and --device");
          const nodes = assignDevice({
            beacon: o.beacon,
            deviceId: o.device,
            nodes: o.nodes as Address[],
            k: o.k,
          });
          console.log(JSON.stringify({ beacon: o.beacon, deviceId: o.device, nodes }, null, 2));
          return;
        }
        const { url } = apiTarget(o, "api");
        const query = new URLSearchParams();
        if (o.epoch !== undefined) query.set("epoch", String(o.epoch));
        if (o.device) query.set("device", o.device);
        console.log(JSON.stringify(await getJson(`${url}/assignment/${o.network}?${query}`), null, 2));
      }),
    );

  node.addCommand(keysCommand());

  return node;
}

/** `init` encrypts new keys unless told not to; without a password it stops before writing anything. */
function initKeystore(o: InitFlags): { password: string; scryptN?: number } | undefined {
  if (o.insecurePlaintextKeys) return undefined;
  const password = resolvePassword({ passwordFile: o.passwordFile });
  if (password) return { password: password.value, ...(o.scryptN && { scryptN: o.scryptN }) };
  const data = resolve(o.dir, "data");
  // Both keys kept: nothing to encrypt, as re-running init never touches existing keys.
  if (existsSync(resolve(data, "peer.key")) && existsSync(resolve(data, "eth.key"))) return undefined;
  throw new KeysError(
    "KEYS_NO_PASSWORD",
    "init encrypts the node's keys: set VIGIL_KEYSTORE_PASSWORD or pass --password-file <file> " +
      "(or VIGIL_KEYSTORE_PASSWORD_FILE); --insecure-plaintext-keys writes them unencrypted (devnets and tests only)",
  );
}
