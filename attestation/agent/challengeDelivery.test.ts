import { type ServerType, serve } from "@hono/node-server";
import { afterEach, describe, expect, it } from "vitest";
import { bytesToHex } from "../bytes";
import type { Message } from "../messages/message";
import { keyFromLabel, testCapabilities } from "../testing";
import type { Verdict } from "../verdict";
import { type ChallengerGatewayOptions, createChallengerGateway } from "./challengerGateway";
import { httpGateway } from "./client";
import { type DeviceAgent, startDeviceAgent } from "./deviceAgent";
import { createGatewayRouter } from "./router";

const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** A node gateway served over HTTP on loopback; it issues on heartbeats and records what it saw per device. */
async function loopbackNode(extra: Partial<ChallengerGatewayOptions> = {}) {
  const verdicts: Verdict[] = [];
  const issued: Message<"challenge">[] = [];
  const heartbeats: Message<"heartbeat">[] = [];
  const gw = createChallengerGateway({
    networkId: 6n,
    signer: keyFromLabel("delivery-node"),
    epoch: () => 0n,
    beacon: () => new Uint8Array(32),
    schedule: { intervalMs: 150, types: ["latency", "compute"] },
    ttlMs: 2_000,
    lateGraceMs: 500,
    onVerdict: (v) => verdicts.push(v),
    onIssue: (c) => issued.push(c),
    onHeartbeat: (m) => heartbeats.push(m),
    ...extra,
  });
  const ticker = setInterval(() => gw.tick(), 100);
  const app = createGatewayRouter(gw);
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({ server: s, port: info.port }),
    );
  });
  stops.push(() => {
    clearInterval(ticker);
    gw.close();
    return new Promise((r) => server.close(r));
  });
  const of = (id: Uint8Array) => ({
    verdicts: verdicts.filter((v) => v.status !== "rejected" && bytesToHex(v.deviceId) === bytesToHex(id)),
    issued: issued.filter((c) => bytesToHex(c.body.deviceId) === bytesToHex(id)),
    heartbeats: heartbeats.filter((m) => bytesToHex(m.signer) === bytesToHex(id)),
  });
  return { gw, url: `http://127.0.0.1:${port}`, of };
}

function agent(url: string, label: string, opts: { owner?: Uint8Array; stealFrom?: Uint8Array[] } = {}) {
  const a: DeviceAgent = startDeviceAgent({
    signer: keyFromLabel(label),
    owner: opts.owner ?? new Uint8Array(20).fill(0xab),
    capabilities: testCapabilities,
    gateways: [httpGateway(url)],
    heartbeatIntervalMs: 100,
    pollWaitMs: 300,
    behaviour: opts.stealFrom ? { stealFrom: opts.stealFrom } : {},
  });
  stops.push(() => a.stop());
  return a;
}

describe("authenticated challenge delivery over HTTP", () => {
  it("a thief polling with its own key takes nothing; the victim receives and passes every challenge", async () => {
    const node = await loopbackNode();
    const victim = agent(node.url, "delivery-victim");
    const thief = agent(node.url, "delivery-thief", {
      stealFrom: [keyFromLabel("delivery-victim").publicKey],
    });
    await expect
      .poll(() => node.of(victim.deviceId).verdicts.length, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(4);
    await victim.stop();
    await thief.stop();
    // Every steal attempt was refused (logged as an error) and took nothing.
    expect(thief.stats.challengesStolen).toBe(0);
    expect(thief.stats.errors).toBeGreaterThan(0);
    // Every challenge the victim was issued and that was judged, it passed: none missed, none late.
    const judged = node.of(victim.deviceId).verdicts;
    expect(judged.map((v) => v.status).every((s) => s === "pass")).toBe(true);
    expect(node.of(victim.deviceId).issued.length).toBeGreaterThanOrEqual(judged.length);
    expect(victim.stats.challengesAnswered).toBeGreaterThanOrEqual(judged.length);
    // The thief's own device is honest: it passes its own challenges.
    expect(node.of(thief.deviceId).verdicts.every((v) => v.status === "pass")).toBe(true);
  }, 30_000);
});

describe("owner binding with the device agent over HTTP", () => {
  it("a squatted device (the chain holds another owner) is never credited or challenged; the bound one is", async () => {
    const bound = keyFromLabel("binding-bound");
    const squatted = keyFromLabel("binding-squatted");
    const owner = new Uint8Array(20).fill(0xab);
    const squatter = new Uint8Array(20).fill(0x5c);
    const chain = new Map([
      [bytesToHex(bound.publicKey), owner],
      [bytesToHex(squatted.publicKey), squatter],
    ]);
    const refusals: string[] = [];
    const node = await loopbackNode({
      ownerOf: (id) => chain.get(bytesToHex(id)),
      onRegistration: (_m, refused) => {
        if (refused) refusals.push(refused.check);
      },
    });
    const good = agent(node.url, "binding-bound", { owner });
    const squat = agent(node.url, "binding-squatted", { owner });
    await expect
      .poll(() => node.of(bound.publicKey).verdicts.length, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    await good.stop();
    await squat.stop();
    expect(node.of(bound.publicKey).heartbeats.length).toBeGreaterThan(0);
    expect(node.of(bound.publicKey).verdicts.every((v) => v.status === "pass")).toBe(true);
    const s = node.of(squatted.publicKey);
    expect([s.heartbeats.length, s.issued.length, s.verdicts.length]).toEqual([0, 0, 0]);
    expect(squat.stats.heartbeatsRejected).toBeGreaterThan(0);
    expect(refusals[0]).toBe(
      `registration names owner 0x${bytesToHex(owner)}, the chain holds 0x${bytesToHex(squatter)}`,
    );
  }, 30_000);
});
