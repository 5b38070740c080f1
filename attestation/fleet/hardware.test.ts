import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../messages/message";
import { JOB_FRACTION, Machine } from "./hardware";

/** Just the fields a `Machine` reads of a challenge. */
const challenge = (params: Message<"challenge">["body"]["params"], deadlineSpanMs = 1_000) =>
  ({
    body: { issuedAtMs: 0n, deadlineMs: BigInt(deadlineSpanMs), params },
  }) as unknown as Message<"challenge">;
const compute = (n: number) => challenge({ type: "compute", n, samples: 44 });

describe("Machine", () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it("spends JOB_FRACTION of a deadline on a job of its class, 8x per compute class above it", () => {
    const m = new Machine(0, 0);
    expect(m.computeMs(compute(64))).toBeCloseTo(JOB_FRACTION * 1_000);
    expect(m.computeMs(compute(256))).toBeCloseTo(64 * JOB_FRACTION * 1_000);
    expect(new Machine(2, 0).computeMs(compute(256))).toBeCloseTo(JOB_FRACTION * 1_000);
    const bw = challenge({ type: "bandwidth", bytes: 1, payloadHash: new Uint8Array(32) });
    expect(m.transferMs(bw, 2)).toBeCloseTo(4 * JOB_FRACTION * 1_000);
  });

  it("does one job at a time: of 3N jobs given at once, 3 end inside the deadline (one device's worth), never 4", async () => {
    const m = new Machine(0, 0);
    const start = Date.now();
    const ends: number[] = [];
    const jobs = Array.from({ length: 24 }, () =>
      m.busy(m.computeMs(compute(64))).then(() => ends.push(Date.now() - start)),
    );
    await vi.runAllTimersAsync();
    await Promise.all(jobs);
    expect(ends.filter((t) => t <= 1_000)).toHaveLength(3);
    expect(ends).toHaveLength(24);
  });

  it("stops waiting when aborted", async () => {
    const m = new Machine(0, 0);
    const abort = new AbortController();
    const done = m.busy(10_000, abort.signal);
    abort.abort();
    await expect(done).resolves.toBeUndefined();
  });
});
