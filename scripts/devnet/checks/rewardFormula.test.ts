import { describe, expect, it } from "vitest";
import type { DeviceLine } from "../../../contracts";
import { checkRewardFormula } from "./rewardFormula";

const line = (i: number, work: bigint, uptimeBps: number, reward: bigint, slash = 0n): DeviceLine => ({
  networkId: 1n,
  epoch: 0n,
  deviceId: `0x${i.toString(16).padStart(64, "0")}`,
  owner: `0x${"11".repeat(20)}`,
  uptimeBps,
  work,
  reward,
  slash,
});

describe("checkRewardFormula", () => {
  it("accepts floor(B * w_i / Σw) and leaves the remainder unpaid", () => {
    // weights 10*10000 = 100000 and 20*5000 = 100000 and 1*10000 = 10000: Σ = 210000, B = 1000.
    const lines = [line(1, 10n, 10_000, 476n), line(2, 20n, 5_000, 476n), line(3, 1n, 10_000, 47n)];
    expect(checkRewardFormula(1000n, lines)).toEqual([]);
  });

  it("gives a slashed device nothing and keeps its share in the budget", () => {
    // Eligible N = 2 (the slashed device had stake at risk), qualified q = 1: the epoch pays B/2.
    const lines = [line(1, 10n, 10_000, 500n), line(2, 10n, 10_000, 0n, 5n)];
    expect(checkRewardFormula(1000n, lines)).toEqual([]);
    // The former rule (the whole budget to whoever qualified) is a mismatch now.
    expect(checkRewardFormula(1000n, [line(1, 10n, 10_000, 1000n), line(2, 10n, 10_000, 0n, 5n)])).toEqual([
      { deviceId: lines[0]!.deviceId, expected: 500n, actual: 1000n },
    ]);
  });

  it("pays q/N of the budget when few devices qualify, split by weight", () => {
    // 4 eligible, 2 qualify with weights 3:1: the epoch pays 1000 * 2/4 = 500, as 375 and 125.
    const lines = [
      line(1, 3n, 10_000, 375n),
      line(2, 1n, 10_000, 125n),
      line(3, 0n, 10_000, 0n),
      line(4, 5n, 0, 0n),
    ];
    expect(checkRewardFormula(1000n, lines)).toEqual([]);
  });

  it("leaves a device with no stake at risk out of Σw, though its line shows no slash", () => {
    const lines = [line(1, 10n, 10_000, 1000n), line(2, 10n, 10_000, 0n)];
    expect(checkRewardFormula(1000n, lines, new Set([lines[1]!.deviceId]))).toEqual([]);
    // Without being told, the check expects the unstaked device to share the budget.
    expect(checkRewardFormula(1000n, lines)).toHaveLength(2);
  });

  it("names the device whose reward is off by one", () => {
    const lines = [line(1, 1n, 10_000, 500n), line(2, 1n, 10_000, 501n)];
    expect(checkRewardFormula(1001n, lines)).toEqual([
      { deviceId: lines[1]!.deviceId, expected: 500n, actual: 501n },
    ]);
  });

  it("pays nothing when no device has weight", () => {
    expect(checkRewardFormula(1000n, [line(1, 0n, 10_000, 0n)])).toEqual([]);
    expect(checkRewardFormula(1000n, [line(1, 0n, 10_000, 1n)])).toHaveLength(1);
  });
});
