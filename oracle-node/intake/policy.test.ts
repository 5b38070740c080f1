import { describe, expect, it } from "vitest";
import { challengeDeadlineMs, challengePolicy } from "./policy";

describe("challengePolicy", () => {
  it("keeps the production deadlines for hour-long epochs: the work-based default decides", () => {
    const p = challengePolicy(1, 3_600);
    expect(p).toMatchObject({
      heartbeatIntervalMs: 5_000,
      challengeIntervalMs: 60_000,
      maxMissFraction: 0.5,
    });
    expect(challengeDeadlineMs(p, { type: "latency" })).toBe(1_000);
    expect(challengeDeadlineMs(p, { type: "storage", samples: 8 })).toBe(2_000);
    // n = 1024: 2 s + 20 s of n³ work.
    expect(challengeDeadlineMs(p, { type: "compute", n: 1024, samples: 44 })).toBe(22_000);
  });

  it("gives devnet epochs (30 s) 5 s deadlines for every type, never below the default", () => {
    const p = challengePolicy(1, 30);
    expect(p).toMatchObject({ heartbeatIntervalMs: 5_000, challengeIntervalMs: 10_000 });
    expect(challengeDeadlineMs(p, { type: "latency" })).toBe(5_000);
    expect(challengeDeadlineMs(p, { type: "compute", n: 64, samples: 44 })).toBe(5_000);
    expect(challengeDeadlineMs(p, { type: "compute", n: 1024, samples: 44 })).toBe(22_000);
    // 12 s epochs: a sixth of the epoch, 2 s.
    expect(challengeDeadlineMs(challengePolicy(1, 12), { type: "latency" })).toBe(2_000);
  });
});
