import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors";
import { loadConfig, resolveConfig } from "./loadConfig";
import { renderConfig } from "./renderConfig";

const A = {
  settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  registry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  forwarder: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  token: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
};

function dir() {
  return mkdtempSync(join(tmpdir(), "vigil-config-"));
}

function valid(): Record<string, unknown> {
  return parse(
    renderConfig({
      dataDir: "data",
      networks: [1n, 2n],
      apiPort: 8080,
      adminPort: 8082,
      adminToken: "a".repeat(32),
      p2pListen: ["/ip4/127.0.0.1/tcp/0"],
      rpcUrls: ["http://127.0.0.1:8545"],
      chainId: 31337,
    }),
  ) as Record<string, unknown>;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("reads the file init writes, with explicit addresses, and resolves paths against it", () => {
    const d = dir();
    const path = join(d, "node.toml");
    const toml = `${renderConfig({
      dataDir: "data",
      networks: [7n],
      apiPort: 8080,
      apiHost: "0.0.0.0",
      gatewayPort: 8081,
      adminPort: 8082,
      adminToken: "t".repeat(20),
      p2pListen: ["/ip4/127.0.0.1/tcp/0"],
      rpcUrls: ["http://127.0.0.1:8545"],
      chainId: 31337,
    })}`.replace(
      '# settlement = "0x..."',
      Object.entries(A)
        .map(([k, v]) => `${k} = "${v}"`)
        .join("\n"),
    );
    writeFileSync(path, toml);
    const config = loadConfig({ path, env: {} });
    expect(config.dataDir).toBe(join(d, "data"));
    expect(config.chain.signerKeyFile).toBe(join(d, "data", "eth.key"));
    expect(config.p2p.peerKeyFile).toBe(join(d, "data", "peer.key"));
    expect(config.networks).toEqual([7n]);
    expect(config.chain.addresses).toEqual(A);
    expect(config.api).toEqual({ host: "0.0.0.0", port: 8080, adminToken: "t".repeat(20) });
    expect(config.gateway).toEqual({ host: "0.0.0.0", port: 8081 });
    expect(config.admin).toEqual({ host: "127.0.0.1", port: 8082 });
    expect(config.epoch.closeGraceMs).toBe(2000);
  });

  it("takes addresses from the deployment file, explicit keys winning", () => {
    const d = dir();
    writeFileSync(join(d, "deployment.json"), JSON.stringify({ chainId: 31337, ...A, consumer: A.token }));
    const file = valid();
    (file.chain as Record<string, unknown>).deployment_file = "deployment.json";
    (file.chain as Record<string, unknown>).token = A.registry;
    const config = resolveConfig(file, { path: join(d, "node.toml") });
    expect(config.chain.addresses).toEqual({ ...A, token: A.registry });
  });

  it("lets VIGIL_* environment variables override the file", () => {
    const file = valid();
    Object.assign(file.chain as Record<string, unknown>, A);
    const config = resolveConfig(file, {
      env: {
        VIGIL_API_PORT: "9191",
        VIGIL_NETWORKS: "3, 4",
        VIGIL_P2P_MDNS: "true",
        VIGIL_CHAIN_RPC_URLS: "http://a:1,http://b:2",
        VIGIL_LOG_LEVEL: "debug",
      },
    });
    expect(config.api.port).toBe(9191);
    expect(config.networks).toEqual([3n, 4n]);
    expect(config.p2p.mdns).toBe(true);
    expect(config.chain.rpcUrls).toEqual(["http://a:1", "http://b:2"]);
    expect(config.logLevel).toBe("debug");
  });

  it("names the key, the variable and what was expected when a value is wrong", () => {
    const file = valid();
    Object.assign(file.chain as Record<string, unknown>, A);
    const error = configError(() => resolveConfig(file, { env: { VIGIL_API_PORT: "eighty" } }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ key: "api.port", env: "VIGIL_API_PORT" });
    expect(error.message).toMatch(/api\.port \(from VIGIL_API_PORT\): .*expected number/);
  });

  it("keeps the gateway on [api] without a port and the admin listener on loopback by default", () => {
    const file = valid();
    Object.assign(file.chain as Record<string, unknown>, A);
    delete file.admin;
    const config = resolveConfig(file);
    expect(config.gateway).toBeUndefined();
    expect(config.admin).toEqual({ host: "127.0.0.1", port: 8082 });
    const moved = resolveConfig(file, {
      env: {
        VIGIL_API_HOST: "0.0.0.0",
        VIGIL_GATEWAY_PORT: "0",
        VIGIL_ADMIN_HOST: "10.0.0.5",
        VIGIL_ADMIN_PORT: "0",
      },
    });
    // The gateway's host follows the API's unless set; port 0 picks a free port.
    expect(moved.gateway).toEqual({ host: "0.0.0.0", port: 0 });
    expect(moved.admin).toEqual({ host: "10.0.0.5", port: 0 });
  });

  it("refuses bad listen hosts and ports, a gateway host without a port, and listeners sharing a port", () => {
    const file = valid();
    Object.assign(file.chain as Record<string, unknown>, A);
    const bad = configError(() =>
      resolveConfig(file, {
        env: {
          VIGIL_API_HOST: "http://0.0.0.0",
          VIGIL_GATEWAY_HOST: "0.0.0.0:8081",
          VIGIL_GATEWAY_PORT: "70000",
          VIGIL_ADMIN_PORT: "-1",
        },
      }),
    );
    expect(bad.issues.map((i) => [i.key, i.env])).toEqual([
      ["api.host", "VIGIL_API_HOST"],
      ["gateway.host", "VIGIL_GATEWAY_HOST"],
      ["gateway.port", "VIGIL_GATEWAY_PORT"],
      ["admin.port", "VIGIL_ADMIN_PORT"],
    ]);
    expect(bad.message).toContain("api.host (from VIGIL_API_HOST): expected an IP address or host name");
    expect(bad.message).toContain("gateway.port (from VIGIL_GATEWAY_PORT): expected a port from 0 to 65535");
    const notNumber = configError(() => resolveConfig(file, { env: { VIGIL_ADMIN_PORT: "admin" } }));
    expect(notNumber.message).toMatch(/admin\.port \(from VIGIL_ADMIN_PORT\): .*expected number/);
    const hostOnly = configError(() => resolveConfig(file, { env: { VIGIL_GATEWAY_HOST: "0.0.0.0" } }));
    expect(hostOnly.issues).toEqual([
      {
        key: "gateway.host",
        env: "VIGIL_GATEWAY_HOST",
        message:
          "gateway.host needs gateway.port: without a port the device gateway stays on the [api] listener",
      },
    ]);
    // The admin default (8082) on the API's port, and a wildcard gateway on the same port as the API.
    const clash = configError(() =>
      resolveConfig(file, {
        env: { VIGIL_API_PORT: "8082", VIGIL_GATEWAY_HOST: "::", VIGIL_GATEWAY_PORT: "8082" },
      }),
    );
    expect(clash.issues.map((i) => i.key)).toEqual(["gateway.port", "admin.port"]);
    expect(clash.message).toContain("gateway and api both listen on port 8082");
    // Different addresses, or port 0, do not clash.
    expect(
      resolveConfig(file, {
        env: { VIGIL_API_HOST: "10.0.0.5", VIGIL_ADMIN_PORT: "8080", VIGIL_GATEWAY_PORT: "0" },
      }).admin.port,
    ).toBe(8080);
  });

  it("reports every bad or missing key at once, including unknown keys and missing addresses", () => {
    const file = valid();
    delete file.data_dir;
    (file.api as Record<string, unknown>).admin_token = "short";
    (file.p2p as Record<string, unknown>).listen = ["tcp:9000"];
    (file as Record<string, unknown>).netwrks = [1];
    const error = configError(() => resolveConfig(file));
    const keys = error.issues.map((i) => i.key).sort();
    expect(keys).toEqual([
      "(root)",
      "api.admin_token",
      "chain.forwarder",
      "chain.registry",
      "chain.settlement",
      "chain.token",
      "data_dir",
      "p2p.listen[0]",
    ]);
    expect(error.message).toContain("unknown key(s) netwrks");
    expect(error.message).toContain("expected at least 16 characters");

    const noAddresses = configError(() => resolveConfig(valid()));
    expect(noAddresses.issues.map((i) => i.key)).toEqual([
      "chain.settlement",
      "chain.registry",
      "chain.forwarder",
      "chain.token",
    ]);
  });

  it("keeps 1000 settled epochs by default and refuses a store retention that is not a sane epoch count", () => {
    const file = valid();
    Object.assign(file.chain as Record<string, unknown>, A);
    expect(resolveConfig(file).store).toEqual({ retentionEpochs: 1000 });
    expect(resolveConfig(file, { env: { VIGIL_STORE_RETENTION_EPOCHS: "50" } }).store.retentionEpochs).toBe(
      50,
    );
    const bad: [unknown, RegExp][] = [
      [-1, /at least 8 epochs/],
      [0, /at least 8 epochs/],
      [3, /at least 8 epochs/],
      [10.5, /whole number of epochs/],
      ["100", /whole number of epochs/],
      [1e12, /at most 1000000 epochs/],
    ];
    for (const [value, message] of bad) {
      const error = configError(() => resolveConfig({ ...file, store: { retention_epochs: value } }));
      expect(error.issues).toEqual([
        { key: "store.retention_epochs", message: expect.stringMatching(message) },
      ]);
      expect(error.message).toMatch(/store\.retention_epochs: /);
    }
    const fromEnv = configError(() => resolveConfig(file, { env: { VIGIL_STORE_RETENTION_EPOCHS: "-3" } }));
    expect(fromEnv.issues[0]).toMatchObject({
      key: "store.retention_epochs",
      env: "VIGIL_STORE_RETENTION_EPOCHS",
    });
    expect(configError(() => resolveConfig({ ...file, store: { retention: 10 } })).message).toContain(
      "unknown key(s) retention",
    );
  });

  it("reads [feed]: stream caps and webhooks, which need a secret file and http(s) URLs", () => {
    const file = valid();
    Object.assign(file.chain as Record<string, unknown>, A);
    const defaults = resolveConfig(file);
    expect(defaults.feed).toEqual({
      maxVerdictsPerDevice: 16,
      resumeEvents: 4096,
      webhooks: { urls: [], queue: 1024, retries: 5 },
    });
    const hooked = resolveConfig({
      ...file,
      feed: { webhooks: { urls: ["https://protocol.example/hook"], secret_file: "hook.secret" } },
    });
    expect(hooked.feed.webhooks.urls).toEqual(["https://protocol.example/hook"]);
    expect(hooked.feed.webhooks.secretFile).toMatch(/hook\.secret$/);
    const noSecret = configError(() =>
      resolveConfig({ ...file, feed: { webhooks: { urls: ["https://protocol.example/hook"] } } }),
    );
    expect(noSecret.issues).toEqual([
      {
        key: "feed.webhooks.secret_file",
        message: expect.stringContaining("needs feed.webhooks.secret_file"),
      },
    ]);
    const ftp = configError(() =>
      resolveConfig({ ...file, feed: { webhooks: { urls: ["ftp://x.example/"], secret_file: "s" } } }),
    );
    expect(ftp.issues[0]).toMatchObject({ key: "feed.webhooks.urls[0]", message: "expected an http(s) URL" });
  });

  it("rejects a deployment file for another chain or with a bad address", () => {
    const d = dir();
    const file = valid();
    (file.chain as Record<string, unknown>).deployment_file = join(d, "dep.json");
    writeFileSync(join(d, "dep.json"), JSON.stringify({ chainId: 1, ...A }));
    expect(configError(() => resolveConfig(file)).message).toMatch(
      /chain\.deployment_file: deployment is for chain 1/,
    );
    writeFileSync(join(d, "dep.json"), JSON.stringify({ chainId: 31337, ...A, token: "0x12" }));
    expect(configError(() => resolveConfig(file)).message).toMatch(
      /chain\.deployment_file: .*token: expected a 20-byte/,
    );
  });

  it("fails clearly on a missing file and on invalid TOML", () => {
    const d = dir();
    expect(configError(() => loadConfig({ path: join(d, "nope.toml") })).code).toBe("CONFIG_NOT_FOUND");
    writeFileSync(join(d, "bad.toml"), "data_dir = \n[api");
    const error = configError(() => loadConfig({ path: join(d, "bad.toml") }));
    expect(error.code).toBe("CONFIG_PARSE");
    expect(error.message).toMatch(/line 1/);
  });
});
