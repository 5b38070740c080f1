import { describe, expect, it } from "vitest";
import { computeReliability, type ReliabilityEpoch, reliabilityWindow, SLA_UPTIME_BPS } from "./reliability";

const line = (epoch: bigint, uptimeBps: number, slash = 0n): ReliabilityEpoch => ({
  epoch,
  status: "line",
  uptimeBps,
  slash,
});

describe("computeReliability", () => {
  it("counts absent and timed-out epochs as 0 in the score, not in the mean uptime", () => {
    const history: ReliabilityEpoch[] = [
      line(4n, 5000),
      { epoch: 3n, status: "absent" },
      { epoch: 2n, status: "timeout" },
      line(1n, SLA_UPTIME_BPS),
      line(0n, 10_000),
    ];
    expect(computeReliability(4n, 30, history)).toEqual({
      window: 30,
      fromEpoch: 0n,
      toEpoch: 4n,
      epochs: 5,
      epochsSettled: 4,
      epochsWithLine: 3,
      meanUptimeBps: 8330, // floor(24990 / 3)
      epochsAtSla: 2,
      slashes: 0,
      scoreBps: 4998, // floor(24990 / 5)
    });
  });

  it("covers only the last W epochs", () => {
    const history = [line(9n, 10_000), line(8n, 9000), line(7n, 0), line(6n, 10_000)];
    expect(computeReliability(9n, 2, history)).toMatchObject({
      fromEpoch: 8n,
      epochs: 2,
      epochsWithLine: 2,
      meanUptimeBps: 9500,
      scoreBps: 9500,
      epochsAtSla: 1,
    });
  });

  it("scores 0 when the device was slashed anywhere in the window", () => {
    const r = computeReliability(2n, 3, [line(2n, 10_000), line(1n, 0, 10n ** 18n), line(0n, 10_000)]);
    expect(r).toMatchObject({ slashes: 1, scoreBps: 0, meanUptimeBps: 6666 });
    // The same slash outside the window no longer counts.
    expect(computeReliability(2n, 1, [line(2n, 10_000), line(1n, 0, 1n)])).toMatchObject({
      slashes: 0,
      scoreBps: 10_000,
    });
  });

  it("a device without any line scores 0 with no mean", () => {
    expect(
      computeReliability(1n, 5, [
        { epoch: 1n, status: "absent" },
        { epoch: 0n, status: "timeout" },
      ]),
    ).toMatchObject({ epochs: 2, epochsSettled: 1, epochsWithLine: 0, meanUptimeBps: null, scoreBps: 0 });
  });

  it("refuses a history with holes or repeats, and a window out of bounds", () => {
    expect(() => computeReliability(2n, 3, [line(2n, 1), line(0n, 1)])).toThrow(/accounts for 2 of the 3/);
    expect(() => computeReliability(1n, 2, [line(1n, 1), line(1n, 2), line(0n, 1)])).toThrow(/twice/);
    expect(() => computeReliability(0n, 1, [line(0n, 10_001)])).toThrow(/0..10000/);
    expect(() => reliabilityWindow(5n, 0)).toThrow(RangeError);
    expect(() => reliabilityWindow(5n, 721)).toThrow(RangeError);
    expect(() => reliabilityWindow(5n, 1.5)).toThrow(RangeError);
    expect(reliabilityWindow(5n, 720)).toEqual({ fromEpoch: 0n, toEpoch: 5n });
  });
});
