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
    expect(checkRewardFormula(1000n, lines).mismatches).toEqual([]);
  });

  it("gives a slashed device nothing and keeps its share in the budget", () => {
    // Eligible N = 2 (the slashed device had stake at risk), qualified q = 1: the epoch pays B/2.
    const lines = [line(1, 10n, 10_000, 500n), line(2, 10n, 10_000, 0n, 5n)];
    expect(checkRewardFormula(1000n, lines).mismatches).toEqual([]);
    // The former rule (the whole budget to whoever qualified) is a mismatch now.
    expect(
      checkRewardFormula(1000n, [line(1, 10n, 10_000, 1000n), line(2, 10n, 10_000, 0n, 5n)]).mismatches,
    ).toEqual([{ deviceId: lines[0]!.deviceId, expected: 500n, actual: 1000n }]);
  });

  it("pays q/N of the budget when few devices qualify, split by weight", () => {
    // 4 eligible, 2 qualify with weights 3:1: the epoch pays 1000 * 2/4 = 500, as 375 and 125.
    const lines = [
      line(1, 3n, 10_000, 375n),
      line(2, 1n, 10_000, 125n),
      line(3, 0n, 10_000, 0n),
      line(4, 5n, 0, 0n),
    ];
    expect(checkRewardFormula(1000n, lines).mismatches).toEqual([]);
  });

  it("leaves a device with no stake at risk out of Σw, though its line shows no slash", () => {
    const lines = [line(1, 10n, 10_000, 1000n), line(2, 10n, 10_000, 0n)];
    expect(checkRewardFormula(1000n, lines, new Set([lines[1]!.deviceId])).mismatches).toEqual([]);
    // Without being told, the check expects the unstaked device to share the budget.
    expect(checkRewardFormula(1000n, lines).mismatches).toHaveLength(2);
  });

  it("names the device whose reward is off by one", () => {
    const lines = [line(1, 1n, 10_000, 500n), line(2, 1n, 10_000, 501n)];
    expect(checkRewardFormula(1001n, lines).mismatches).toEqual([
      { deviceId: lines[1]!.deviceId, expected: 500n, actual: 501n },
    ]);
  });

  it("pays nothing when no device has weight", () => {
    expect(checkRewardFormula(1000n, [line(1, 0n, 10_000, 0n)]).mismatches).toEqual([]);
    expect(checkRewardFormula(1000n, [line(1, 0n, 10_000, 1n)]).mismatches).toHaveLength(1);
  });

  describe("with an uptime SLA", () => {
    const sla = {
      windowEpochs: 2,
      bonusThresholdBps: 9_990,
      bonusBps: 1_000,
      penaltyThresholdBps: 9_000,
      penaltyBps: 5_000,
    };
    const past = (uptimes: number[]) => [uptimes.map((u, i) => line(i + 1, 1n, u, 0n))];

    it("adds the pool's share for a perfect full window and cuts a mean below the penalty threshold", () => {
      // Weights 10000 each, q = N = 3: share(X) = X / 3. Base 900, pool 100.
      const lines = [line(1, 1n, 10_000, 300n + 33n), line(2, 1n, 10_000, 300n), line(3, 1n, 10_000, 150n)];
      // Device 1 perfect over both epochs; device 2 at 9900 before (mean 9950 < 9990); device 3 at
      // 7000 before (mean 8500 < 9000: half its base).
      const check = checkRewardFormula(1000n, lines, new Set(), {
        sla,
        history: past([10_000, 9_900, 7_000]),
      });
      expect(check.mismatches).toEqual([]);
      expect(check.sla).toEqual({ bonused: 1, bonusPaid: 33n, penalized: 1, withheld: 150n });
    });

    it("pays no bonus without a full window (a device new to the network)", () => {
      const lines = [line(1, 1n, 10_000, 450n), line(2, 1n, 10_000, 450n + 50n)];
      const check = checkRewardFormula(1000n, lines, new Set(), {
        sla,
        history: [[line(2, 1n, 10_000, 0n)]],
      });
      expect(check.mismatches).toEqual([]);
      expect(check.sla.bonused).toBe(1);
      // Paying the newcomer the bonus too is a mismatch.
      const wrong = [line(1, 1n, 10_000, 500n), line(2, 1n, 10_000, 500n)];
      expect(
        checkRewardFormula(1000n, wrong, new Set(), { sla, history: [[line(2, 1n, 10_000, 0n)]] }).mismatches,
      ).toEqual([{ deviceId: wrong[0]!.deviceId, expected: 450n, actual: 500n }]);
    });
  });
});
