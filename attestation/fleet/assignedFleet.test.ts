import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { type ChallengerGateway, createChallengerGateway } from "../agent/challengerGateway";
import type { AssignmentSource } from "../agent/deviceAgent";
import { bytesToHex } from "../bytes";
import { keyFromLabel } from "../testing";
import type { Verdict } from "../verdict";
import { planFleet, runFleet, type Strategy } from "./runFleet";

const NET = 6n;
const EPOCH = 1n;
const beacon = new Uint8Array(32).fill(1);
const strategies: Strategy[] = ["honestFramed", "honestFramed"];
const nodeKeys = ["fleet-node-1", "fleet-node-2"].map(keyFromLabel);
/** The chain's word: both nodes are assigned to every device in the epoch; nobody else is. */
const chain: AssignmentSource = {
  networkId: NET,
  challengersOf: async (epoch) =>
    epoch === EPOCH ? { beacon, challengers: nodeKeys.map((k) => k.publicKey) } : undefined,
};

/** Two honest nodes and a fleet of framed devices; what the framer got out of them. */
async function framedFleet(assignment: AssignmentSource | undefined) {
  const registered = new Set(planFleet({ strategies }).map((d) => bytesToHex(d.deviceId)));
  const passes = new Map<string, number>();
  const nodes: ChallengerGateway[] = nodeKeys.map((signer) =>
    createChallengerGateway({
      networkId: NET,
      signer,
      epoch: () => EPOCH,
      beacon: () => beacon,
      isRegistered: (id) => registered.has(bytesToHex(id)),
      schedule: { intervalMs: 150, types: ["compute", "latency"] },
      ttlMs: 2_000,
      onVerdict: (v: Verdict) => {
        if (v.status === "pass")
          passes.set(bytesToHex(v.deviceId), (passes.get(bytesToHex(v.deviceId)) ?? 0) + 1);
      },
    }),
  );
  const framed: string[] = [];
  const refusals: { code: string; check: string }[] = [];
  const logger = pino(
    { level: "warn" },
    {
      write: (line: string) => {
        const entry = JSON.parse(line);
        if (entry.msg === "challenge refused") refusals.push({ code: entry.code, check: entry.check });
      },
    },
  );
  const fleet = runFleet({
    strategies,
    gateways: nodes,
    heartbeatIntervalMs: 100,
    pollWaitMs: 200,
    onFramedEvidence: (_, reason) => framed.push(reason),
    assignment,
    logger,
  });
  return { fleet, nodes, framed, refusals, passes };
}

describe("fleet with the chain's assignment: the framing challenger is refused", () => {
  it("honestFramed devices refuse every challenge of the unregistered framer, signing nothing for it", async () => {
    const { fleet, nodes, framed, refusals, passes } = await framedFleet(chain);
    try {
      await vi.waitFor(
        () => {
          for (const d of fleet.devices) {
            expect(d.agent.stats.challengesRefused).toBeGreaterThanOrEqual(2);
            expect(passes.get(bytesToHex(d.deviceId)) ?? 0).toBeGreaterThanOrEqual(2);
          }
        },
        { timeout: 20_000, interval: 50 },
      );
    } finally {
      await fleet.stop();
      for (const n of nodes) n.close();
    }
    // Every refusal came before any work: no commit signed for the framer (no salt MISMATCH
    // after one), no response, so nothing to wrap into evidence.
    expect(framed).toEqual([]);
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    expect(refusals.every((r) => r.code === "NOT_ASSIGNED")).toBe(true);
    for (const d of fleet.devices) expect(d.agent.stats.challengesUnchecked).toBe(0);
  });

  it("without it, the same devices spend work on the framer's challenges (refused only at the salt or payload)", async () => {
    const { fleet, nodes, framed, refusals } = await framedFleet(undefined);
    try {
      await vi.waitFor(
        () => expect(refusals.filter((r) => r.code === "MISMATCH").length).toBeGreaterThanOrEqual(2),
        { timeout: 20_000, interval: 50 },
      );
    } finally {
      await fleet.stop();
      for (const n of nodes) n.close();
    }
    // The framing invariant still holds: the device computed (and committed) but signed no response.
    expect(framed).toEqual([]);
    expect(refusals.some((r) => r.code === "NOT_ASSIGNED")).toBe(false);
  });
});
