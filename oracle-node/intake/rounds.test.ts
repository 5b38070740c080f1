import { keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { challengePolicy } from "./policy";
import { challengeRounds } from "./rounds";

const beacon = (i: number) => keccak256(toHex(`beacon-${i}`));

describe("challengeRounds", () => {
  it("gives a 30 s devnet epoch four rounds, one of each type, all ending inside the epoch", () => {
    const policy = challengePolicy(1, 30);
    for (let i = 0; i < 20; i++) {
      const rounds = challengeRounds(policy, beacon(i), 1_000_000, 30_000);
      expect(rounds).toHaveLength(4);
      expect(new Set(rounds.map((r) => r.type))).toEqual(
        new Set(["compute", "storage", "bandwidth", "latency"]),
      );
      for (const r of rounds) {
        expect(r.atMs).toBeGreaterThanOrEqual(1_000_000);
        expect(r.atMs + policy.deadlineMs[r.type]).toBeLessThanOrEqual(1_030_000);
      }
    }
  });

  it("is the same for every node (a function of the beacon) and differs between beacons", () => {
    const policy = challengePolicy(1, 30);
    const a = challengeRounds(policy, beacon(1), 0, 30_000);
    expect(challengeRounds(policy, beacon(1), 0, 30_000)).toEqual(a);
    const others = Array.from({ length: 8 }, (_, i) => challengeRounds(policy, beacon(i + 2), 0, 30_000));
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a))).toBe(true);
  });

  it("gives an hour-long production epoch a round a minute and none for a policy without types", () => {
    const rounds = challengeRounds(challengePolicy(1, 3_600), beacon(0), 0, 3_600_000);
    expect(rounds.length).toBeGreaterThanOrEqual(59);
    expect(rounds[1]!.atMs - rounds[0]!.atMs).toBe(60_000);
    expect(challengeRounds(challengePolicy(0, 3_600), beacon(0), 0, 3_600_000)).toEqual([]);
  });
});
