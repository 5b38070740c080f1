import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../constants";
import { signMessage } from "../messages/sign";
import { keyFromLabel, testCapabilities } from "../testing";
import { createChallengerGateway } from "./challengerGateway";
import { createGatewayRouter } from "./router";

const gw = createChallengerGateway({
  networkId: 4n,
  signer: keyFromLabel("router-node"),
  epoch: () => 2n,
  beacon: () => new Uint8Array(32),
});
const app = createGatewayRouter(gw, { maxWaitMs: 50 });
const post = (path: string, body: Uint8Array) =>
  app.request(path, {
    method: "POST",
    body: body as Uint8Array<ArrayBuffer>,
    headers: { "content-type": "application/octet-stream" },
  });
const device = keyFromLabel("router-device");
const hb = (epoch: bigint, seq = 1n) =>
  signMessage(
    "heartbeat",
    { networkId: 4n, epoch },
    { seq, timeMs: 0n, loadBps: 0, capabilities: testCapabilities },
    device,
  );

describe("gateway router", () => {
  it("accepts a valid heartbeat and rejects bad ones with the failed check", async () => {
    expect((await post("/v1/heartbeat", hb(2n))).status).toBe(204);
    const replay = await post("/v1/heartbeat", hb(2n));
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "REPLAY" });
    expect(await (await post("/v1/heartbeat", hb(1n, 5n))).json()).toMatchObject({ error: "WRONG_EPOCH" });
    expect(await (await post("/v1/heartbeat", new Uint8Array(10))).json()).toMatchObject({
      error: "TRUNCATED",
    });
    expect((await post("/v1/heartbeat", new Uint8Array(MAX_MESSAGE_BYTES + 1))).status).toBe(413);
  });

  it("validates path parameters and long-polls with a bounded wait", async () => {
    expect((await app.request("/v1/challenges/nothex")).status).toBe(400);
    const t = Date.now();
    const res = await app.request(
      `/v1/challenges/${Buffer.from(device.publicKey).toString("hex")}?wait=100000`,
    );
    expect(await res.json()).toEqual({ challenges: [] });
    expect(Date.now() - t).toBeLessThan(5_000);
    expect((await app.request(`/v1/payload/${"00".repeat(32)}`)).status).toBe(404);
    expect(await (await app.request("/v1/info")).json()).toEqual({
      networkId: "4",
      epoch: "2",
      nowMs: expect.any(String),
    });
  });

  it("delivers an issued challenge on poll", async () => {
    const bytes = gw.issue(device.publicKey, "latency");
    expect(bytes).toBeDefined();
    const res = await app.request(`/v1/challenges/${Buffer.from(device.publicKey).toString("hex")}?wait=10`);
    const { challenges } = (await res.json()) as { challenges: string[] };
    expect(challenges).toEqual([Buffer.from(bytes!).toString("hex")]);
  });
});

describe("gateway router: policy and heartbeat rate limit", () => {
  it("reports the policy's heartbeat interval and epoch end, and answers 429 over the per-device limit", async () => {
    const clock = { ms: 10_000n };
    const limited = createGatewayRouter(
      createChallengerGateway({
        networkId: 4n,
        signer: keyFromLabel("router-node"),
        epoch: () => 2n,
        epochEndMs: () => 30_000n,
        beacon: () => new Uint8Array(32),
        now: () => clock.ms,
        heartbeatIntervalMs: 1_000,
        maxHeartbeatsPerInterval: 2,
      }),
    );
    const send = (body: Uint8Array) =>
      limited.request("/v1/heartbeat", { method: "POST", body: body as Uint8Array<ArrayBuffer> });
    expect(await (await limited.request("/v1/info")).json()).toEqual({
      networkId: "4",
      epoch: "2",
      nowMs: "10000",
      heartbeatIntervalMs: 1_000,
      epochEndMs: "30000",
    });
    expect((await send(hb(2n, 1n))).status).toBe(204);
    expect((await send(hb(2n, 2n))).status).toBe(204);
    const over = await send(hb(2n, 3n));
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ error: "RATE_LIMITED" });
    // Forged or replayed heartbeats are refused before they count, so nobody else uses up the allowance.
    expect((await send(hb(2n, 3n))).status).toBe(400);
    clock.ms += 1_000n;
    expect((await send(hb(2n, 4n))).status).toBe(204);
  });
});
