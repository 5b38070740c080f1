// TLS on the node's public listeners (`[gateway.tls]`, `[api.tls]`) and the device agent's
// `tls_ca_file`, with real parts: an openssl-made self-signed certificate, the node's intake mounted
// on the real gateway app served over HTTPS, and a device agent (library and `vigil device run`).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { type Address, bytesToHex, type Hex, hexToBytes } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deviceCommand } from "../../attestation/agent/cli";
import { DeviceConfigError, loadDeviceConfig } from "../../attestation/agent/config";
import { caFetch, GatewayError, httpGateway, startDeviceAgent } from "../../attestation/agent/index";
import { nodeSigner } from "../../attestation/crypto/node";
import { challengePolicy } from "../../attestation/index";
import { keyFromLabel } from "../../attestation/testing";
import { ConfigError, loadConfig, loadTlsCredentials, renderConfig, resolveConfig } from "../config/index";
import { createIntake, type Intake, type IntakeNetwork } from "../intake/createIntake";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";
import { startNode } from "../node";
import { type ApiServer, createApiApp, createGatewayApp, inProcessFetch, serveApi } from "./index";

const logger = createLogger({ level: "silent" });
const OBSERVER = "0x00000000000000000000000000000000000000aa" as Address;
const OWNER = `0x${"ab".repeat(20)}` as Hex;
const BEACON = `0x${"42".repeat(32)}` as Hex;
const NODE_KEY = keyFromLabel("tls-node");
const SEED = new Uint8Array(32).fill(7);
const DEVICE = bytesToHex(nodeSigner(SEED).publicKey);
/** The device `vigil device run` runs as. */
const CLI_SEED = new Uint8Array(32).fill(8);
const CLI_DEVICE = bytesToHex(nodeSigner(CLI_SEED).publicKey);
const DEVICES = new Set([DEVICE, CLI_DEVICE]);
const ADDR = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;

const dir = mkdtempSync(join(tmpdir(), "vigil-tls-"));
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** A self-signed certificate for 127.0.0.1 and localhost, as an operator would make one. */
function selfSigned(name: string) {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=vigil-test-node",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout",
    `${name}.key.pem`,
    "-out",
    `${name}.cert.pem`,
  );
  return { certFile: join(dir, `${name}.cert.pem`), keyFile: join(dir, `${name}.key.pem`) };
}

/** The minimal node config around a listener's TLS section (nothing else is read before it). */
function nodeToml(tls: { cert: string; key: string }, section: "api" | "gateway" = "gateway"): string {
  return [
    'data_dir = "data"',
    'log_level = "silent"',
    "networks = [1]",
    "[api]",
    "port = 0",
    'admin_token = "tls-test-admin-token-0123"',
    ...(section === "gateway" ? ["[gateway]", "port = 0"] : []),
    "[admin]",
    "port = 0",
    `[${section}.tls]`,
    `cert_file = "${tls.cert}"`,
    `key_file = "${tls.key}"`,
    "[chain]",
    'rpc_urls = ["http://127.0.0.1:1"]',
    "chain_id = 31337",
    `settlement = "${ADDR(1)}"`,
    `registry = "${ADDR(2)}"`,
    `forwarder = "${ADDR(3)}"`,
    `token = "${ADDR(4)}"`,
  ].join("\n");
}

function network(): IntakeNetwork {
  return {
    networkId: 1n,
    genesisTime: BigInt(Math.floor(Date.now() / 1000)),
    epochLength: 60,
    policy: {
      ...challengePolicy(1, 60),
      heartbeatIntervalMs: 200,
      challengeIntervalMs: 300,
      types: ["compute"],
    },
    beacon: () => BEACON,
    isRegistered: (d) => DEVICES.has(d),
    ownerOf: (d) => (DEVICES.has(d) ? OWNER : undefined),
    storageOf: () => undefined,
    assigned: () => DEVICES,
    judges: () => ({ beacon: hexToBytes(BEACON), challengers: [NODE_KEY.publicKey] }),
  };
}

let node: { intake: Intake; api: ApiServer };
let own: { certFile: string; keyFile: string };

beforeAll(async () => {
  own = selfSigned("node");
  writeFileSync(join(dir, "node.toml"), nodeToml({ cert: "node.cert.pem", key: "node.key.pem" }));
  // Through the node's config, as `vigil node start` reads it: paths relative to the file.
  const config = loadConfig({ path: join(dir, "node.toml"), env: {} });
  expect(config.gateway).toEqual({ host: "127.0.0.1", port: 0, tls: own });
  expect(config.api.tls).toBeUndefined();
  const intake = createIntake(
    { networks: [network()], signer: NODE_KEY, observer: OBSERVER, tickMs: 50 },
    { logger, metrics: createNodeMetrics({ defaultMetrics: false }) },
  );
  const app = createGatewayApp({
    logger,
    metrics: createNodeMetrics({ defaultMetrics: false }),
    readiness: async () => ({ chain: true }),
    mounts: intake.mounts,
  });
  const gateway = config.gateway!;
  const api = await serveApi(app, {
    name: "gateway",
    host: gateway.host,
    port: gateway.port,
    tls: loadTlsCredentials(gateway.tls!, "gateway.tls"),
  });
  node = { intake, api };
});

const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});
afterAll(async () => {
  await node?.api.close();
  await node?.intake.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** This node's ledger line for the device (uptime from heartbeats, work from passed challenges). */
const line = (device = DEVICE) =>
  node.intake
    .ledger(1n, 0n)
    .observation(OBSERVER)
    .devices.find((d) => d.deviceId === device);

function deviceToml(extra: string[] = [], seed = SEED): string {
  const file = join(dir, `device-${stops.length}-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(
    file,
    [
      `secret_key = "${Buffer.from(seed).toString("hex")}"`,
      `owner = "${OWNER}"`,
      `nodes = ["${node.api.url}/device"]`,
      "heartbeat_interval_ms = 100",
      "poll_wait_ms = 200",
      'log_level = "error"',
      ...extra,
    ].join("\n"),
  );
  return file;
}

describe("TLS on the device gateway", () => {
  it("serves the gateway over HTTPS and a device agent with tls_ca_file gets heartbeats accepted and challenges passed", async () => {
    expect(node.api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const config = loadDeviceConfig(deviceToml(['tls_ca_file = "node.cert.pem"']));
    expect(config.tlsCa).toHaveLength(1);
    const fetchVia = caFetch(config.tlsCa!);
    const agent = startDeviceAgent({
      signer: nodeSigner(config.secretKey),
      owner: config.owner,
      capabilities: config.capabilities,
      gateways: config.nodes.map((url) => httpGateway(url, { fetch: fetchVia })),
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      pollWaitMs: config.pollWaitMs,
    });
    stops.push(() => agent.stop());
    // Heartbeats credited as uptime, a challenge answered and passed (work), all over HTTPS.
    await expect
      .poll(
        () => (line()?.uptimeBps ?? 0) > 0 && (line()?.work ?? 0n) > 0n && agent.stats.challengesAnswered > 0,
        { timeout: 15_000 },
      )
      .toBe(true);
    expect(agent.stats.heartbeatsSent).toBeGreaterThan(0);
    expect(line()?.fraud).toBeUndefined();
  });

  it("`vigil device run` with tls_ca_file talks to the node over HTTPS", async () => {
    const config = deviceToml(['tls_ca_file = "node.cert.pem"'], CLI_SEED);
    await deviceCommand().parseAsync(["run", "--config", config, "--duration-ms", "1500"], { from: "user" });
    // Its heartbeats were verified and credited (uptime), which only a signed heartbeat that got through does.
    expect(line(CLI_DEVICE)?.uptimeBps ?? 0).toBeGreaterThan(0);
  });

  it("an agent without the CA is refused with a certificate error", async () => {
    const plain = httpGateway(`${node.api.url}/device`);
    const err = await plain.info().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe("UNAVAILABLE");
    expect((err as GatewayError).message).toMatch(/self-signed certificate/);
    expect((err as GatewayError).message).toMatch(/not trusted; for a private CA set tls_ca_file/);
    // Another CA than the node's is no better.
    const other = selfSigned("other");
    const wrong = loadDeviceConfig(deviceToml([`tls_ca_file = "${other.certFile}"`]));
    const viaWrong = httpGateway(`${node.api.url}/device`, { fetch: caFetch(wrong.tlsCa!) });
    await expect(viaWrong.info()).rejects.toThrow(/certificate/);
    // A whole agent without it sends nothing that lands; it counts errors.
    const agent = startDeviceAgent({
      signer: keyFromLabel("tls-no-ca"),
      owner: hexToBytes(OWNER),
      capabilities: loadDeviceConfig(deviceToml()).capabilities,
      gateways: [plain],
      heartbeatIntervalMs: 100,
      pollWaitMs: 200,
    });
    stops.push(() => agent.stop());
    await expect.poll(() => agent.stats.errors, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(agent.stats.heartbeatsSent).toBe(0);
  });

  it("a bad tls_ca_file is a DeviceConfigError naming the file", () => {
    const missing = join(dir, "nope.pem");
    expect(() => loadDeviceConfig(deviceToml([`tls_ca_file = "${missing}"`]))).toThrow(DeviceConfigError);
    expect(() => loadDeviceConfig(deviceToml([`tls_ca_file = "${missing}"`]))).toThrow(
      `${missing} (tls_ca_file): cannot read`,
    );
    const junk = join(dir, "junk.pem");
    writeFileSync(junk, "not a certificate\n");
    expect(() => loadDeviceConfig(deviceToml([`tls_ca_file = "${junk}"`]))).toThrow(
      `${junk} (tls_ca_file): no PEM certificate in it`,
    );
    writeFileSync(junk, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect(() => loadDeviceConfig(deviceToml([`tls_ca_file = "${junk}"`]))).toThrow(
      `${junk} (tls_ca_file): not a valid certificate`,
    );
  });

  it("a node whose key file is missing fails to start with a config error naming it", async () => {
    for (const section of ["api", "gateway"] as const) {
      const file = join(dir, `missing-key-${section}.toml`);
      writeFileSync(file, nodeToml({ cert: "node.cert.pem", key: "gone.key.pem" }, section));
      const config = loadConfig({ path: file, env: {} });
      const started = startNode(config, { defaultMetrics: false });
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(
        `${section}.tls.key_file: cannot read ${join(dir, "gone.key.pem")} (ENOENT)`,
      );
    }
  });

  it("serves the feed API over HTTPS from [api.tls]", async () => {
    const config = resolveConfig(parse(nodeToml({ cert: own.certFile, key: own.keyFile }, "api")));
    expect(config.api.tls).toEqual(own);
    expect(config.gateway).toBeUndefined();
    const app = createApiApp({
      logger,
      metrics: createNodeMetrics({ defaultMetrics: false }),
      readiness: async () => ({}),
      assignment: async () => {
        throw new Error("not used");
      },
    });
    const api = await serveApi(app, { host: "127.0.0.1", port: 0, tls: loadTlsCredentials(config.api.tls!) });
    stops.push(() => api.close());
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const viaCa = caFetch([loadTlsCredentials(own).cert.toString("utf8")]);
    expect(await (await viaCa(`${api.url}/health`)).json()).toEqual({ status: "ok" });
    await expect(fetch(`${api.url}/health`)).rejects.toThrow("fetch failed");
  });

  it("checks the certificate and key at load: not PEM, or not a pair, names the key and file", () => {
    const junk = join(dir, "junk.cert.pem");
    writeFileSync(junk, "garbage");
    expect(() => loadTlsCredentials({ certFile: junk, keyFile: own.keyFile })).toThrow(
      `api.tls.cert_file: ${junk} is not a PEM certificate`,
    );
    const other = selfSigned("pair");
    expect(() => loadTlsCredentials({ certFile: own.certFile, keyFile: other.keyFile })).toThrow(
      `api.tls.key_file: the key in ${other.keyFile} does not match the certificate in ${own.certFile}`,
    );
    expect(() => loadTlsCredentials({ certFile: own.certFile, keyFile: own.certFile })).toThrow(
      /api\.tls\.key_file: .* is not an unencrypted PEM private key/,
    );
    const ok = loadTlsCredentials(own);
    expect(ok.subject).toContain("vigil-test-node");
    expect(ok.validTo.getTime()).toBeGreaterThan(Date.now());
  });

  it("[api.tls] and [gateway.tls] take environment overrides, need both files, and node init documents them", () => {
    const base = parse(nodeToml({ cert: "a.pem", key: "b.pem" }, "api"));
    const env = {
      VIGIL_API_TLS_CERT_FILE: "/etc/vigil/cert.pem",
      VIGIL_API_TLS_KEY_FILE: "/etc/vigil/key.pem",
    };
    expect(resolveConfig(base, { env }).api.tls).toEqual({
      certFile: "/etc/vigil/cert.pem",
      keyFile: "/etc/vigil/key.pem",
    });
    const { tls: _, ...api } = base.api as Record<string, unknown>;
    expect(() => resolveConfig({ ...base, api }, { env: { VIGIL_API_TLS_CERT_FILE: "/c.pem" } })).toThrow(
      "api.tls.key_file",
    );
    expect(resolveConfig({ ...base, api }).api.tls).toBeUndefined();
    const gatewayEnv = {
      VIGIL_GATEWAY_PORT: "8443",
      VIGIL_GATEWAY_TLS_CERT_FILE: "/etc/vigil/gw.pem",
      VIGIL_GATEWAY_TLS_KEY_FILE: "/etc/vigil/gw.key",
    };
    expect(resolveConfig({ ...base, api }, { env: gatewayEnv }).gateway).toEqual({
      host: "127.0.0.1",
      port: 8443,
      tls: { certFile: "/etc/vigil/gw.pem", keyFile: "/etc/vigil/gw.key" },
    });
    // Without its own port the gateway stays on [api]: a [gateway.tls] there would silently do nothing.
    const { VIGIL_GATEWAY_PORT: _p, ...noPort } = gatewayEnv;
    expect(() => resolveConfig({ ...base, api }, { env: noPort })).toThrow(
      "gateway.tls (from VIGIL_GATEWAY_TLS_CERT_FILE): gateway.tls needs gateway.port",
    );
    const rendered = renderConfig({
      dataDir: "data",
      networks: [1n],
      apiPort: 8080,
      gatewayPort: 8081,
      adminPort: 8082,
      adminToken: "x".repeat(32),
      p2pListen: ["/ip4/0.0.0.0/tcp/9000"],
      rpcUrls: ["http://127.0.0.1:8545"],
      chainId: 31337,
    });
    for (const section of ["api", "gateway"]) {
      expect(rendered).toMatch(
        new RegExp(`^# \\[${section}\\.tls\\]\\n# cert_file = .*\\n# key_file = `, "m"),
      );
      expect(rendered).toContain(`VIGIL_${section.toUpperCase()}_TLS_CERT_FILE`);
      // Uncommented, the section parses into its listener's section.
      const on = parse(
        rendered.replace(
          new RegExp(`^# (\\[${section}\\.tls\\])\\n# (cert_file.*)\\n# (key_file.*)$`, "m"),
          "$1\n$2\n$3",
        ),
      ) as Record<string, { tls?: unknown }>;
      expect(on[section]?.tls).toEqual({ cert_file: "tls/cert.pem", key_file: "tls/key.pem" });
    }
  });

  it("inProcessFetch answers the node's own URL in-process (no trust in its certificate needed)", async () => {
    const app = createApiApp({
      logger,
      metrics: createNodeMetrics({ defaultMetrics: false }),
      readiness: async () => ({}),
      assignment: async () => {
        throw new Error("not used");
      },
    });
    const f = inProcessFetch(node.api.url, app);
    expect(await (await f(`${node.api.url}/health`)).json()).toEqual({ status: "ok" });
    // Anything else goes over the network, where the self-signed certificate is not trusted.
    await expect(f(node.api.url.replace("127.0.0.1", "localhost"))).rejects.toThrow("fetch failed");
  });
});
