import { describe, expect, it } from "vitest";
import type { DeviceLine } from "../../../contracts";
import { assertRewardFormula } from "./assertRewardFormula";

const line = (i: number, work: bigint, reward: bigint): DeviceLine => ({
  networkId: 1n,
  epoch: 2n,
  deviceId: `0x${i.toString(16).padStart(64, "0")}`,
  owner: `0x${"11".repeat(20)}`,
  uptimeBps: 10_000,
  work,
  reward,
  slash: 0n,
});

describe("assertRewardFormula", () => {
  it("passes lines that split the registry's budget by weight", () => {
    expect(() => assertRewardFormula(2n, 1000n, [line(1, 1n, 500n), line(2, 1n, 500n)])).not.toThrow();
  });

  it("fails a result that paid nobody although the chain's budget is not 0", () => {
    const unpaid = [line(1, 1n, 0n), line(2, 3n, 0n)];
    // The old check took the budget from the result under test (0 when it paid nothing) and passed.
    expect(() => assertRewardFormula(2n, 0n, unpaid)).not.toThrow();
    expect(() => assertRewardFormula(2n, 1000n, unpaid)).toThrow(
      expect.objectContaining({
        code: "CHECK_FAILED",
        context: expect.objectContaining({ check: "reward-formula", epoch: "2", mismatches: 2 }),
        message: expect.stringMatching(
          /2 of 2 rewards differ .* budget of 1000 \(first 0x0+1: expected 250, got 0\)/,
        ),
      }),
    );
  });
});
