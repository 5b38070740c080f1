import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { EpochLedger } from "./epochLedger";

const d = (i: number) => `0x${i.toString(16).padStart(64, "0")}` as Hex;
const c = (i: number) => `0x${(0xc000 + i).toString(16).padStart(64, "0")}` as Hex;
const OBSERVER = "0x00000000000000000000000000000000000000aa" as Address;

function ledger() {
  return new EpochLedger({
    networkId: 1n,
    epoch: 5n,
    startMs: 100_000,
    lengthMs: 60_000,
    heartbeatIntervalMs: 10_000,
    assigned: new Set([d(2), d(1)]),
    maxMissFraction: 0.5,
  });
}

describe("EpochLedger", () => {
  it("turns heartbeat intervals, work and fraud into an observation set sorted by device", () => {
    const l = ledger();
    for (const t of [100_000, 105_000, 110_000, 125_000, 159_999]) l.heartbeat(d(1), t);
    // Three challenges issued (64 + 1 + 1 units), two passed: ⌊1000 × 65 / 3⌋.
    expect(l.issued(d(1), c(1), 64n)).toBe(true);
    expect(l.issued(d(1), c(2), 1n)).toBe(true);
    expect(l.issued(d(1), c(3), 1n)).toBe(true);
    expect(l.passed(c(1))).toBe(true);
    expect(l.passed(c(2))).toBe(true);
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
        { deviceId: d(1), uptimeBps: 6666, work: 21_666n },
        { deviceId: d(2), uptimeBps: 0, work: 0n, fraud: { reason: 3, evidence } },
      ],
    });
  });

  it("ignores devices not assigned to this node and heartbeats outside the epoch", () => {
    const l = ledger();
    expect(l.heartbeat(d(3), 100_000)).toBe(false);
    expect(l.issued(d(3), c(1), 1n)).toBe(false);
    expect(l.passed(c(1))).toBe(false);
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

  it("says a heartbeat is new only when it fills an empty slot (the one worth gossiping)", () => {
    const l = ledger();
    expect(l.heartbeat(d(1), 100_000, "a")).toBe(true);
    expect(l.heartbeat(d(1), 104_000, "b")).toBe(false);
    expect(l.heartbeat(d(1), 109_999, "c")).toBe(false);
    expect(l.heartbeat(d(1), 110_000, "d")).toBe(true);
    expect(l.observation(OBSERVER).devices[0]!.uptimeBps).toBe(3333);
  });

  it("down() removes the slot of a late or missed answer, and no later heartbeat credits it again", () => {
    const l = ledger();
    const uptime = () => l.observation(OBSERVER).devices[0]!.uptimeBps;
    expect(l.heartbeat(d(1), 100_000, "a")).toBe(true);
    expect(l.heartbeat(d(1), 110_000, "b")).toBe(true);
    expect(uptime()).toBe(3333);
    // The deadline fell in slot 1 (110_000..119_999): that slot goes.
    expect(l.down(d(1), 115_000)).toBe(true);
    expect(uptime()).toBe(1666);
    expect(l.heartbeat(d(1), 119_999, "c")).toBe(false);
    expect(uptime()).toBe(1666);
    // Down twice is one slot; a slot with no heartbeat yet goes down too and stays empty.
    expect(l.down(d(1), 110_000)).toBe(false);
    expect(l.down(d(1), 125_000)).toBe(true);
    expect(l.heartbeat(d(1), 121_000, "d")).toBe(false);
    expect(uptime()).toBe(1666);
    // Outside the epoch or for a device not assigned here: nothing.
    expect(l.down(d(1), 160_000)).toBe(false);
    expect(l.down(d(3), 100_000)).toBe(false);
    expect(l.heartbeat(d(1), 130_000, "e")).toBe(true);
    expect(uptime()).toBe(3333);
  });
});

describe("EpochLedger work: a rate over the challenges issued, misses cost", () => {
  const workOf = (l: EpochLedger, id = d(1)) =>
    l.observation(OBSERVER).devices.find((x) => x.deviceId === id)!.work;
  /** Issues `units` challenges to d(1) and passes those where `pass[i]`. */
  function run(units: bigint[], pass: boolean[]): EpochLedger {
    const l = ledger();
    for (const [i, u] of units.entries()) l.issued(d(1), c(i), u);
    for (const [i, p] of pass.entries()) if (p) l.passed(c(i));
    return l;
  }

  it("test_RateNotCount: honest devices that drew 2 or 5 challenges earn the same work", () => {
    expect(workOf(run([1n, 1n], [true, true]))).toBe(1000n);
    expect(workOf(run([1n, 1n, 1n, 1n, 1n], [true, true, true, true, true]))).toBe(1000n);
  });

  it("test_BiggerClassEarnsMore: the rate is scaled by the mean units of an issued challenge", () => {
    // All passed, 8 units each (n = 128): 8 × 1000.
    expect(workOf(run([8n, 8n, 8n], [true, true, true]))).toBe(8000n);
    expect(workOf(run([8n, 8n, 8n], [true, true, true]))).toBeGreaterThan(
      workOf(run([1n, 1n, 1n], [true, true, true])),
    );
  });

  it("test_MissesCost: failed challenges stay in the denominator", () => {
    // 3 of 4 passed: ⌊1000 × 3 / 4⌋.
    expect(workOf(run([1n, 1n, 1n, 1n], [true, true, true, false]))).toBe(750n);
    // Failing the big one costs its units: ⌊1000 × (1 + 1) / 3⌋.
    expect(workOf(run([64n, 1n, 1n], [false, true, true]))).toBe(666n);
  });

  it("test_MissThreshold: more than maxMissFraction failed is work 0; exactly at it still counts", () => {
    expect(workOf(run([1n, 1n], [true, false]))).toBe(500n);
    expect(workOf(run([1n, 1n, 1n], [true, false, false]))).toBe(0n);
    expect(workOf(run([1n], [false]))).toBe(0n);
  });

  it("test_NothingIssued: no challenge from this node is work 0, however much uptime", () => {
    const l = ledger();
    for (let t = 100_000; t < 160_000; t += 10_000) l.heartbeat(d(1), t);
    expect(l.observation(OBSERVER).devices[0]).toMatchObject({ uptimeBps: 10_000, work: 0n });
  });

  it("test_RevertIf_PassedTwiceOrUnknown: a verdict counts once, and only for a challenge issued here", () => {
    const l = ledger();
    l.issued(d(1), c(1), 1n);
    expect(l.issued(d(1), c(1), 1n)).toBe(false);
    expect(l.passed(c(1))).toBe(true);
    expect(l.passed(c(1))).toBe(false);
    expect(l.passed(c(9))).toBe(false);
    expect(l.hasIssued(c(1))).toBe(true);
    expect(l.hasIssued(c(9))).toBe(false);
    expect(workOf(l)).toBe(1000n);
  });

  it("caps uptime at 10000 bps with every interval covered", () => {
    const l = ledger();
    for (let t = 100_000; t < 160_000; t += 5_000) l.heartbeat(d(1), t);
    expect(l.observation(OBSERVER).devices[0]!.uptimeBps).toBe(10_000);
  });
});
