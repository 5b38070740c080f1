import { describe, expect, it } from "vitest";
import { challengeDeadlineMs, challengePolicy, ROUND_LATE_MS } from "./challengePolicy";
import { challengeRounds } from "./rounds";

describe("challengePolicy", () => {
  it("keeps the production deadlines for hour-long epochs, flat across classes", () => {
    const p = challengePolicy(1, 3_600);
    expect(p).toMatchObject({
      heartbeatIntervalMs: 5_000,
      challengeIntervalMs: 60_000,
      maxMissFraction: 0.5,
    });
    expect(challengeDeadlineMs(p, { type: "latency" })).toBe(1_000);
    expect(challengeDeadlineMs(p, { type: "storage", samples: 8 })).toBe(2_000);
    // A class is a speed: class 4 (n = 1024) gets the class-0 deadline, so class-0 hardware misses it.
    expect(challengeDeadlineMs(p, { type: "compute", n: 1024, samples: 44 })).toBe(2_000);
    expect(challengeDeadlineMs(p, { type: "compute", n: 64, samples: 44 })).toBe(2_000);
    expect(p.bandwidthBaseBytes).toBe(256 * 1024);
  });

  it("gives devnet epochs (30 s) a quarter-epoch deadline (7.5 s) and four rounds that end in the epoch", () => {
    const p = challengePolicy(1, 30);
    expect(p.heartbeatIntervalMs).toBe(5_000);
    for (const type of ["compute", "storage", "bandwidth", "latency"] as const)
      expect(p.deadlineMs[type]).toBe(7_500);
    // (30 s − 7.5 s − 1 s phase − 2 s a round may be issued late) / 3 gaps.
    expect(p.challengeIntervalMs).toBe(6_500);
    // Whatever phase the beacon picks, four rounds, and the last one issued as late as a node may
    // issue it still ends in the epoch (else the nodes that ticked late would skip it).
    for (let b = 0; b < 64; b++) {
      const rounds = challengeRounds(p, new Uint8Array(32).fill(b), 0, 30_000);
      expect(rounds).toHaveLength(4);
      expect(rounds.at(-1)!.atMs + ROUND_LATE_MS + 7_500).toBeLessThanOrEqual(30_000);
    }
    expect(p.bandwidthBaseBytes).toBe(32 * 1024);
    // 12 s epochs: a quarter of the epoch, 3 s.
    expect(challengeDeadlineMs(challengePolicy(1, 12), { type: "latency" })).toBe(3_000);
  });
});
