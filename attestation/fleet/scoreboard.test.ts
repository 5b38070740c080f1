import { describe, expect, it } from "vitest";
import {
  MIN_EPOCHS_TO_JUDGE_CHEATS,
  type ScoredDevice,
  type ScoredLine,
  scoreEpoch,
  scoreRun,
} from "./scoreboard";
import type { Strategy } from "./strategies";

const id = (i: number) => `0x${i.toString(16).padStart(64, "0")}`;
const owner = (i: number) => `0x${i.toString(16).padStart(40, "0")}`;

function fleet(strategies: Strategy[]): ScoredDevice[] {
  return strategies.map((strategy, i) => ({ deviceId: id(i), strategy, owner: owner(i) }));
}
/** Lines paying each device `weights[i]` parts of `budget` (the documented formula, floored). */
function lines(
  devices: ScoredDevice[],
  weights: number[],
  budget: bigint,
  slash: number[] = [],
): ScoredLine[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return devices.map((d, i) => ({
    deviceId: d.deviceId.toUpperCase().replace("0X", "0x"),
    owner: d.owner,
    uptimeBps: weights[i]! > 0 ? 10_000 : 0,
    work: BigInt(weights[i]!),
    reward: total ? (budget * BigInt(weights[i]!)) / BigInt(total) : 0n,
    slash: slash.includes(i) ? 10n : 0n,
  }));
}

describe("scoreEpoch: reward share against fair share", () => {
  const budget = 1_000_000n;

  it("equal pay for equal honest work meets every target", () => {
    const devices = fleet(["honest", "honest", "honest", "honest"]);
    const board = scoreEpoch({ epoch: 0n, budget, devices, lines: lines(devices, [1, 1, 1, 1], budget) });
    expect(board.ok).toBe(true);
    expect(board.rows).toHaveLength(1);
    expect(board.rows[0]!.rewardShare).toBeCloseTo(1, 5);
    expect(board.rows[0]!.fairShare).toBeCloseTo(1, 5);
  });

  it("an unpaid honest device, and one paid 10% under its share, fail the honest targets", () => {
    const devices = fleet(["honest", "honest", "honest", "honest"]);
    const unpaid = scoreEpoch({ epoch: 0n, budget, devices, lines: lines(devices, [0, 1, 1, 1], budget) });
    expect(unpaid.ok).toBe(false);
    expect(unpaid.rows[0]!.failures.join()).toMatch(/3\/4 rewarded/);
    const under = scoreEpoch({
      epoch: 0n,
      budget,
      devices,
      lines: lines(devices, [90, 100, 100, 110], budget),
    });
    // The failure says what the out-of-band devices' lines held, next to the median device's.
    expect(under.rows[0]!.failures).toEqual([
      "2 under fair share or outside ±5% of the honest median (uptime bps/work: 10000/90, 10000/110; median device 10000/100)",
    ]);
  });

  it("honest devices paid above their fair share because a cheat lost its share meet their target", () => {
    const devices = fleet(["honest", "honest", "honest", "storageHalfSilent"]);
    const board = scoreEpoch({ epoch: 0n, budget, devices, lines: lines(devices, [4, 4, 4, 1], budget) });
    expect(board.ok).toBe(true);
    expect(scoreRun([board])).toEqual([]);
  });

  it("a cheat paid like an honest device fails when its fair share is lower; at its share it passes", () => {
    const devices = fleet(["honest", "honest", "honest", "zeroStorage"]);
    const overpaid = scoreEpoch({ epoch: 0n, budget, devices, lines: lines(devices, [4, 4, 4, 4], budget) });
    // Judged over the run: the mean over its epochs.
    // Its worth: two thirds of an honest device (no storage, a third of the credited work).
    const fair = scoreEpoch({ epoch: 1n, budget, devices, lines: lines(devices, [3, 3, 3, 2], budget) });
    // Overpaying the cheat underpays the honest devices: they fail too.
    const five = (b: typeof overpaid) => Array.from({ length: MIN_EPOCHS_TO_JUDGE_CHEATS }, () => b);
    expect(scoreRun(five(overpaid))).toContain(
      "zeroStorage: reward share 25.00% > its worth at the honest rate 16.67% (mean over 5 epochs)",
    );
    expect(scoreRun(five(overpaid))).toContain(
      "epoch 0 honest: 3 under fair share or outside ±5% of the honest median (uptime bps/work: 10000/4, 10000/4, 10000/4; median device 10000/4)",
    );
    // Fewer epochs than that: a cheat's pay is not judged yet (one epoch samples too few challenges).
    expect(scoreRun([overpaid]).filter((f) => f.startsWith("zeroStorage"))).toEqual([]);
    expect(scoreRun(five(fair))).toEqual([]);
    // One lucky epoch among several is not an attack that pays.
    const caught = scoreEpoch({ epoch: 2n, budget, devices, lines: lines(devices, [4, 4, 4, 1], budget) });
    expect(
      scoreRun([overpaid, caught, caught, caught, caught]).filter((f) => f.startsWith("zeroStorage")),
    ).toEqual([]);
  });

  it("a Sybil farm of N keys is worth one device in all", () => {
    const devices = fleet(["honest", "sybilFarm", "sybilFarm", "sybilFarm", "sybilFarm"]);
    const board = scoreEpoch({
      epoch: 0n,
      budget,
      devices,
      lines: lines(devices, [1, 1, 1, 1, 1], budget),
      sybilFarmSize: 4,
    });
    const farm = board.rows.find((r) => r.strategy === "sybilFarm")!;
    expect(farm.fairShare).toBeCloseTo(0.5, 5);
    expect(scoreRun(Array.from({ length: MIN_EPOCHS_TO_JUDGE_CHEATS }, () => board))).toContain(
      "sybilFarm: reward share 80.00% > its worth at the honest rate 20.00% (mean over 5 epochs)",
    );
  });

  it("a reward paid to a squatter is not paid to the device's owner", () => {
    const devices = fleet(["honest", "honestSquatted"]);
    const paid = lines(devices, [1, 1], budget);
    paid[1]!.owner = owner(99);
    const board = scoreEpoch({ epoch: 0n, budget, devices, lines: paid });
    const squatted = board.rows.find((r) => r.strategy === "honestSquatted")!;
    expect(squatted.rewarded).toBe(0);
    expect(squatted.failures.join()).toMatch(/50.00% paid to an owner other than the device's/);
  });

  it("a slashed honest device fails; a slashable cheat must be slashed by the end of the run", () => {
    const devices = fleet(["honest", "honest", "wrongCompute"]);
    const framed = scoreEpoch({ epoch: 0n, budget, devices, lines: lines(devices, [0, 1, 0], budget, [0]) });
    expect(framed.rows.find((r) => r.strategy === "honest")!.failures.join()).toMatch(/1 honest slashed/);

    const missed = scoreEpoch({ epoch: 0n, budget, devices, lines: lines(devices, [1, 1, 0], budget) });
    expect(missed.ok).toBe(true);
    expect(scoreRun([missed])).toEqual(["wrongCompute: 1 of 1 never slashed"]);
    const caught = scoreEpoch({ epoch: 0n, budget, devices, lines: lines(devices, [1, 1, 0], budget, [2]) });
    // Caught in epoch 0, unstaked after: epoch 1 pays it nothing and counts it caught.
    const after = scoreEpoch({
      epoch: 1n,
      budget,
      devices,
      lines: lines(devices, [1, 1, 0], budget),
      unstaked: new Set([id(2)]),
      slashedBefore: new Set([id(2)]),
    });
    expect(scoreRun([caught, after])).toEqual([]);
  });
});
