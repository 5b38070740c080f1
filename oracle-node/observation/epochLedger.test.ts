import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { EpochLedger } from "./epochLedger";

const d = (i: number) => `0x${i.toString(16).padStart(64, "0")}` as Hex;
const OBSERVER = "0x00000000000000000000000000000000000000aa" as Address;

function ledger() {
  return new EpochLedger({
    networkId: 1n,
    epoch: 5n,
    startMs: 100_000,
    lengthMs: 60_000,
    heartbeatIntervalMs: 10_000,
    assigned: new Set([d(2), d(1)]),
  });
}

describe("EpochLedger", () => {
  it("turns heartbeat intervals, work and fraud into an observation set sorted by device", () => {
    const l = ledger();
    for (const t of [100_000, 105_000, 110_000, 125_000, 159_999]) l.heartbeat(d(1), t);
    expect(l.work(d(1), 40n)).toBe(true);
    expect(l.work(d(1), 2n)).toBe(true);
    const evidence = new Uint8Array([1, 2, 3]);
    expect(l.fraud(d(2), { reason: 3, evidence, evidenceHash: `0x${"ee".repeat(32)}` })).toBe(true);
    // A second proof adds nothing: one slash per device per epoch.
    expect(
      l.fraud(d(2), { reason: 1, evidence: new Uint8Array([9]), evidenceHash: `0x${"ff".repeat(32)}` }),
    ).toBe(false);
    expect(l.observation(OBSERVER)).toEqual({
      networkId: 1n,
      epoch: 5n,
      observer: OBSERVER,
      devices: [
        // slots 0, 1, 2, 5 of 6 (105_000 and 100_000 share slot 0)
        { deviceId: d(1), uptimeBps: 6666, work: 42n },
        { deviceId: d(2), uptimeBps: 0, work: 0n, fraud: { reason: 3, evidence } },
      ],
    });
  });

  it("ignores devices not assigned to this node and heartbeats outside the epoch", () => {
    const l = ledger();
    expect(l.heartbeat(d(3), 100_000)).toBe(false);
    expect(l.work(d(3), 1n)).toBe(false);
    expect(l.heartbeat(d(1), 99_999)).toBe(false);
    expect(l.heartbeat(d(1), 160_000)).toBe(false);
    expect(l.observation(OBSERVER).devices.map((x) => x.deviceId)).toEqual([d(1), d(2)]);
  });

  it("credits a heartbeat once: a replay later in the epoch fills no new interval", () => {
    const l = ledger();
    expect(l.heartbeat(d(1), 100_000, "hb1")).toBe(true);
    expect(l.heartbeat(d(1), 150_000, "hb1")).toBe(false);
    expect(l.observation(OBSERVER).devices[0]!.uptimeBps).toBe(1666);
  });

  it("caps uptime at 10000 bps with every interval covered", () => {
    const l = ledger();
    for (let t = 100_000; t < 160_000; t += 5_000) l.heartbeat(d(1), t);
    expect(l.observation(OBSERVER).devices[0]!.uptimeBps).toBe(10_000);
  });
});
