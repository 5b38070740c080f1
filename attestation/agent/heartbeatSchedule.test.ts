import { describe, expect, it } from "vitest";
import { heartbeatRetryDelayMs, nextHeartbeatAtMs } from "./heartbeatSchedule";

describe("heartbeat schedule", () => {
  const interval = 5_000;
  const epochEnd = 1_000_003_000; // not a multiple of the interval: slots follow the epoch, not the unix clock

  it("aims two heartbeats at every slot, a quarter and three quarters in, whatever the clock reads", () => {
    const slotStart = epochEnd - 4 * interval;
    // Walk one send after another through six slots, starting anywhere.
    let t = slotStart - 777;
    const perSlot = new Map<number, number[]>();
    for (let i = 0; i < 12; i++) {
      t = nextHeartbeatAtMs(t, interval, epochEnd);
      const slot = Math.floor((t - slotStart) / interval);
      perSlot.set(slot, [...(perSlot.get(slot) ?? []), (t - slotStart) % interval]);
    }
    for (const [slot, phases] of perSlot)
      if (slot >= 0 && slot < 5) expect(phases, `slot ${slot}`).toEqual([1_250, 3_750]);
  });

  it("is strictly later than now, even exactly on a planned time", () => {
    const planned = epochEnd + interval / 4;
    expect(nextHeartbeatAtMs(planned, interval, epochEnd)).toBe(planned + interval / 2);
    expect(nextHeartbeatAtMs(planned - 1, interval, epochEnd)).toBe(planned);
  });

  it("a retry lands in the same half slot as the heartbeat it replaces", () => {
    const sent = nextHeartbeatAtMs(epochEnd, interval, epochEnd);
    const retry = sent + heartbeatRetryDelayMs(interval);
    expect(Math.floor((retry - epochEnd) / (interval / 2))).toBe(
      Math.floor((sent - epochEnd) / (interval / 2)),
    );
  });

  it("without the node's epoch end, aligns slots on the unix epoch", () => {
    expect(nextHeartbeatAtMs(10_000, interval)).toBe(11_250);
    expect(nextHeartbeatAtMs(11_250, interval)).toBe(13_750);
  });
});
