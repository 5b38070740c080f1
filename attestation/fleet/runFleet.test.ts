import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChallengerGateway, createChallengerGateway } from "../agent/challengerGateway";
import { httpGateway } from "../agent/client";
import { createGatewayRouter } from "../agent/router";
import { bytesToHex } from "../bytes";
import type { AttestationErrorCode } from "../errors";
import { keyFromLabel } from "../testing";
import type { Verdict } from "../verdict";
import { type Fleet, planFleet, runFleet, type Strategy } from "./runFleet";

const NET = 5n;
// The naive strategies, whose verdicts this test asserts one by one; the rational ones are scored
// by `npm run bench -- verdicts` (they need four nodes, gossip and the result function).
const strategies: Strategy[] = [
  "honest",
  "wrongCompute",
  "partialCompute",
  "replayHeartbeat",
  "forgedSignature",
  "offline",
  "slow",
  "lostStorage",
  "zeroStorage",
  "sybil",
  "honest",
];

interface Seen {
  heartbeats: number;
  heartbeatAtMs: number[];
  verdicts: Verdict[];
}

describe("fleet against two nodes over HTTP (loopback)", () => {
  const planned = planFleet({ strategies });
  const registered = new Set(planned.filter((d) => d.registered).map((d) => bytesToHex(d.deviceId)));
  // What the fleet's storage client registered on chain for each device.
  const targets = new Map(planned.map((d) => [bytesToHex(d.deviceId), d.storage]));
  const seen = new Map<string, Seen>();
  const rejections: AttestationErrorCode[] = [];
  const seenOf = (id: Uint8Array) => {
    const k = bytesToHex(id);
    if (!seen.has(k)) seen.set(k, { heartbeats: 0, heartbeatAtMs: [], verdicts: [] });
    return seen.get(k)!;
  };
  const nodes: { gw: ChallengerGateway; server: ServerType; url: string }[] = [];
  let fleet: Fleet;
  let ticker: ReturnType<typeof setInterval>;
  let startedAt = Date.now();

  beforeAll(async () => {
    for (const label of ["node-1", "node-2"]) {
      const gw = createChallengerGateway({
        networkId: NET,
        signer: keyFromLabel(label),
        epoch: () => 1n,
        beacon: () => new Uint8Array(32).fill(1),
        isRegistered: (id) => registered.has(bytesToHex(id)),
        storageOf: (id) => targets.get(bytesToHex(id)),
        schedule: { intervalMs: 150, types: ["compute", "storage", "latency", "bandwidth"] },
        ttlMs: 1_500,
        lateGraceMs: 2_000,
        onHeartbeat: (m) => {
          const x = seenOf(m.signer);
          x.heartbeats++;
          x.heartbeatAtMs.push(Date.now() - startedAt);
        },
        onVerdict: (v) =>
          v.status === "rejected" ? rejections.push(v.error.code) : seenOf(v.deviceId).verdicts.push(v),
      });
      const app = createGatewayRouter(gw);
      const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
          resolve({ server: s, port: info.port }),
        );
      });
      nodes.push({ gw, server, url: `http://127.0.0.1:${port}` });
    }
    ticker = setInterval(() => {
      for (const n of nodes) n.gw.tick();
    }, 100);
    startedAt = Date.now();
    fleet = runFleet({
      strategies,
      gateways: nodes.map((n) => httpGateway(n.url)),
      heartbeatIntervalMs: 100,
      pollWaitMs: 500,
      offlineWindowMs: [0, 2_000],
      slowDelayMs: 2_000,
    });
    // Run until every behaviour has shown (this machine is shared and often slow), at most 25 s.
    const byStrategy = (s: Strategy) => seenOf(fleet.devices.find((d) => d.strategy === s)!.deviceId);
    const done = () =>
      Date.now() - startedAt > 2_500 &&
      byStrategy("honest").verdicts.length >= 3 &&
      byStrategy("offline").heartbeats > 0 &&
      byStrategy("slow").verdicts.length > 0 &&
      byStrategy("zeroStorage").verdicts.some((v) => v.status !== "rejected" && v.type === "storage") &&
      (["wrongCompute", "partialCompute", "lostStorage"] as const).every((s) =>
        byStrategy(s).verdicts.some((v) => v.status === "fraud"),
      );
    while (!done() && Date.now() - startedAt < 25_000) await new Promise((r) => setTimeout(r, 100));
    await fleet.stop();
    clearInterval(ticker);
    for (const n of nodes) n.gw.tick();
  }, 40_000);

  afterAll(async () => {
    clearInterval(ticker);
    for (const n of nodes) {
      n.gw.close();
      await new Promise((r) => n.server.close(r));
    }
  });

  const of = (s: Strategy) => fleet.devices.filter((d) => d.strategy === s).map((d) => seenOf(d.deviceId));
  const statuses = (x: Seen) =>
    x.verdicts.map((v) => (v.status === "fraud" ? `fraud:${v.reason}` : v.status));

  it("honest devices pass every challenge and are never slashed", () => {
    for (const x of of("honest")) {
      expect(x.heartbeats).toBeGreaterThan(4);
      expect(statuses(x).length).toBeGreaterThan(2);
      expect(statuses(x).filter((s) => s !== "pass")).toEqual([]);
    }
  });

  it("wrong and partial compute, lost storage: fraud with evidence", () => {
    for (const [s, reason] of [
      ["wrongCompute", "computeWrongRow"],
      ["partialCompute", "computeWrongRow"],
      ["lostStorage", "storageMissing"],
    ] as const) {
      const x = of(s)[0]!;
      expect(statuses(x), s).toContain(`fraud:${reason}`);
    }
  });

  it("storage credit is the bytes proven: the fleet's 64 KiB replica is worth 1 unit", () => {
    const passed = of("honest").flatMap((x) =>
      x.verdicts.filter((v) => v.status !== "rejected" && v.type === "storage"),
    );
    expect(passed.length).toBeGreaterThan(0);
    for (const v of passed) expect(v.status === "pass" && v.workUnits).toBe(1n);
  });

  it("a device that discarded its replica earns no storage credit: silent, never slashed", () => {
    const device = fleet.devices.find((d) => d.strategy === "zeroStorage")!;
    const storage = seenOf(device.deviceId).verdicts.filter(
      (v) => v.status !== "rejected" && v.type === "storage",
    );
    expect(storage.length).toBeGreaterThan(0);
    expect(storage.map((v) => v.status).filter((s) => s !== "missed")).toEqual([]);
    expect(device.agent.stats.challengesSilent).toBeGreaterThan(0);
    // Its other answers are real: it is not a device that does nothing.
    expect(seenOf(device.deviceId).verdicts.some((v) => v.status === "pass")).toBe(true);
  });

  it("replayed heartbeats, forged signatures and Sybils are rejected, credited nothing, never slashed", () => {
    expect(of("replayHeartbeat")[0]!.heartbeats).toBe(0);
    expect(of("forgedSignature")[0]!.heartbeats).toBe(0);
    expect(of("sybil")[0]!.heartbeats).toBe(0);
    for (const s of ["forgedSignature", "sybil"] as const) expect(of(s)[0]!.verdicts).toEqual([]);
    expect(rejections).not.toContain("MALFORMED");
  });

  it("an offline device earns less uptime; a slow one gets late verdicts, not fraud", () => {
    // Nothing from the offline device during its silent window, while honest ones were beating.
    const offline = of("offline")[0]!;
    expect(offline.heartbeats).toBeGreaterThan(0);
    const firstOffline = Math.min(...offline.heartbeatAtMs);
    expect(firstOffline).toBeGreaterThanOrEqual(1_990);
    expect(of("honest")[0]!.heartbeatAtMs.filter((t) => t < firstOffline).length).toBeGreaterThan(0);
    const slow = statuses(of("slow")[0]!);
    expect(slow.length).toBeGreaterThan(0);
    expect(slow.filter((s) => s !== "late" && s !== "missed")).toEqual([]);
  });
});
