import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesToHex } from "../bytes";
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
  let server: ServerType;
  let url = "";
  const gw = createChallengerGateway({
    networkId: 9n,
    signer: keyFromLabel("cli-node"),
    epoch: () => 0n,
    beacon: () => new Uint8Array(32),
    schedule: { intervalMs: 100, types: ["compute", "storage", "latency"] },
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
    writeFileSync(join(dir, "device.key"), `0x${bytesToHex(new Uint8Array(32).fill(5))}\n`);
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
        "chunks = 16",
        "chunk_bytes = 512",
      ].join("\n"),
    );
    await deviceCommand().parseAsync(["run", "--config", config, "--duration-ms", "1500"], { from: "user" });
    expect(heartbeats).toBeGreaterThan(2);
    const statuses = new Set(verdicts.map((v) => (v.status === "pass" ? v.type : v.status)));
    expect(statuses.has("compute")).toBe(true);
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
