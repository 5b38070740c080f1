import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bytesToHex, equalBytes } from "../bytes";
import { nodeSigner } from "../crypto/node";
import { writeReplicaFile } from "../storage/replicaFile";
import { keyFromLabel } from "../testing";
import type { Verdict } from "../verdict";
import { createChallengerGateway } from "./challengerGateway";
import { deviceCommand } from "./cli";
import { DeviceConfigError, loadDeviceConfig } from "./config";
import { createGatewayRouter } from "./router";

describe("vigil device run", () => {
  const dir = mkdtempSync(join(tmpdir(), "vigil-device-"));
  const verdicts: Verdict[] = [];
  let heartbeats = 0;
  // The device's replica, as its storage client wrote it and registered it on chain.
  const deviceKey = new Uint8Array(32).fill(5);
  const deviceId = nodeSigner(deviceKey).publicKey;
  const target = writeReplicaFile(join(dir, "replica.bin"), new Uint8Array(32).fill(6), deviceId, 16, 512);
  let server: ServerType;
  let url = "";
  const gw = createChallengerGateway({
    networkId: 9n,
    signer: keyFromLabel("cli-node"),
    epoch: () => 0n,
    beacon: () => new Uint8Array(32),
    schedule: { intervalMs: 100, types: ["compute", "storage", "latency"] },
    storageOf: (id) => (equalBytes(id, deviceId) ? target : undefined),
    onHeartbeat: () => heartbeats++,
    onVerdict: (v) => verdicts.push(v),
  });

  beforeAll(async () => {
    const app = createGatewayRouter(gw);
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (i) => resolve(i.port));
    });
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    gw.close();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a device from a config file: heartbeats accepted, challenges passed", async () => {
    writeFileSync(join(dir, "device.key"), `0x${bytesToHex(deviceKey)}\n`);
    const config = join(dir, "device.toml");
    writeFileSync(
      config,
      [
        'secret_key_file = "device.key"',
        `owner = "0x${"11".repeat(20)}"`,
        `nodes = ["${url}"]`,
        "heartbeat_interval_ms = 100",
        "poll_wait_ms = 200",
        'log_level = "error"',
        "[capabilities]",
        "compute_class = 0",
        "[storage]",
        'file = "replica.bin"',
        "chunks = 16",
        "chunk_bytes = 512",
      ].join("\n"),
    );
    await deviceCommand().parseAsync(["run", "--config", config, "--duration-ms", "1500"], { from: "user" });
    expect(heartbeats).toBeGreaterThan(2);
    const statuses = new Set(verdicts.map((v) => (v.status === "pass" ? v.type : v.status)));
    expect(statuses.has("compute")).toBe(true);
    expect(statuses.has("storage")).toBe(true);
    expect([...statuses].every((s) => s === "compute" || s === "storage" || s === "latency")).toBe(true);
  });

  it("rejects a bad config naming the key", () => {
    const bad = join(dir, "bad.toml");
    writeFileSync(bad, `owner = "0x12"\nnodes = []\nsecret_key = "${"00".repeat(32)}"\n`);
    expect(() => loadDeviceConfig(bad)).toThrow(DeviceConfigError);
    expect(() => loadDeviceConfig(bad)).toThrow(/owner: expected 20 bytes of hex/);
    writeFileSync(bad, "owner = [");
    expect(() => loadDeviceConfig(bad)).toThrow(/invalid TOML/);
  });
});

describe("device config: [chain]", () => {
  const dir = mkdtempSync(join(tmpdir(), "vigil-device-chain-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (chain: string[]) => {
    const file = join(dir, "device.toml");
    writeFileSync(
      file,
      [
        `secret_key = "${"05".repeat(32)}"`,
        `owner = "0x${"11".repeat(20)}"`,
        'nodes = ["http://127.0.0.1:1/device"]',
        "[chain]",
        ...chain,
      ].join("\n"),
    );
    return file;
  };
  const registry = `0x${"aa".repeat(20)}`;
  const settlement = `0x${"bb".repeat(20)}`;

  it("reads where the agent learns its assignment: rpc, registry, settlement, network", () => {
    const base = [
      'rpc_url = "http://127.0.0.1:8545"',
      `registry = "${registry}"`,
      `settlement = "${settlement}"`,
    ];
    expect(loadDeviceConfig(write([...base, "network_id = 7"])).chain).toEqual({
      rpcUrl: "http://127.0.0.1:8545",
      registry,
      settlement,
      networkId: 7n,
      discover: true,
    });
    expect(loadDeviceConfig(write([...base, "network_id = 7", "discover = false"])).chain?.discover).toBe(
      false,
    );
    // Beyond 2^53 as a decimal string.
    expect(loadDeviceConfig(write([...base, 'network_id = "18446744073709551615"'])).chain?.networkId).toBe(
      2n ** 64n - 1n,
    );
    expect(() => loadDeviceConfig(write([...base, 'network_id = "18446744073709551616"']))).toThrow(
      /chain.network_id: network_id must fit in 64 bits/,
    );
    expect(() =>
      loadDeviceConfig(
        write([...base.slice(0, 1), 'registry = "0x12"', `settlement = "${settlement}"`, "network_id = 1"]),
      ),
    ).toThrow(/chain.registry: expected a 20-byte 0x address/);
    expect(() => loadDeviceConfig(write(base))).toThrow(/chain.network_id/);
  });
});

describe("vigil device init", () => {
  const run = async (args: string[]) => {
    const err: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((t: string) => void err.push(t));
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    process.exitCode = undefined;
    try {
      await deviceCommand().parseAsync(["init", ...args], { from: "user" });
    } finally {
      spy.mockRestore();
      log.mockRestore();
    }
    const failed = process.exitCode === 1;
    process.exitCode = undefined;
    return { failed, err: err.join("\n") };
  };
  const owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  const deployment = (dir: string) => {
    const file = join(dir, "deployment.json");
    writeFileSync(
      file,
      JSON.stringify({
        registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        settlement: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
      }),
    );
    return file;
  };

  it("writes a private key and a config that `run` accepts, and never replaces the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-device-init-"));
    const args = ["--dir", join(dir, "d1"), "--owner", owner, "--nodes", "http://127.0.0.1:8111/device"];
    const chain = ["--network", "1", "--rpc-url", "http://127.0.0.1:8545", "--deployment", deployment(dir)];
    expect((await run([...args, ...chain, "--compute-class", "2"])).failed).toBe(false);
    const config = loadDeviceConfig(join(dir, "d1", "device.toml"));
    expect(`0x${bytesToHex(config.owner)}`).toBe(owner.toLowerCase());
    expect(config.chain).toMatchObject({ networkId: 1n, discover: true, rpcUrl: "http://127.0.0.1:8545" });
    expect(config.capabilities.computeClass).toBe(2);
    expect(statSync(join(dir, "d1", "device.key")).mode & 0o777).toBe(0o600);
    const key = readFileSync(join(dir, "d1", "device.key"), "utf8");

    const again = await run([...args, ...chain]);
    expect(again.failed).toBe(true);
    expect(again.err).toMatch(/device\.toml exists; pass --force/);
    expect((await run([...args, "--force"])).failed).toBe(false);
    expect(readFileSync(join(dir, "d1", "device.key"), "utf8")).toBe(key);
    expect(loadDeviceConfig(join(dir, "d1", "device.toml")).chain).toBeUndefined();
  });

  it("refuses a bad owner, URL or a partial [chain] with the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-device-init-"));
    const base = ["--dir", join(dir, "d"), "--nodes", "http://127.0.0.1:8111/device"];
    expect((await run([...base, "--owner", "0x1234"])).err).toMatch(/owner: expected 20 bytes of hex/);
    expect((await run(["--dir", join(dir, "e"), "--owner", owner, "--nodes", "not a url"])).err).toMatch(
      /nodes/,
    );
    expect((await run([...base, "--owner", owner, "--network", "1"])).err).toMatch(
      /pass all of --network, --rpc-url and --deployment, or none/,
    );
  });
});
