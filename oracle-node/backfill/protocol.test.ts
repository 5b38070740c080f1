import { describe, expect, it } from "vitest";
import { decodeAnswer, encodeAnswer } from "./protocol";

describe("backfill answer encoding", () => {
  const want = { networkId: 1n, epoch: 7n };

  it("carries rewards of any uint256 size (100 VGL is 21 digits) through encode and decode", () => {
    const rewards = [0n, 10n ** 20n, 2n ** 256n - 1n];
    const bytes = encodeAnswer(1n, 7n, { observations: [], votes: [], rewards });
    expect(decodeAnswer(bytes, want).rewards).toEqual(rewards);
  });

  it("takes an answer without rewards (an older peer) and refuses a reward that is not a uint256", () => {
    const json = (o: object) => new TextEncoder().encode(JSON.stringify(o));
    const base = { ok: true, networkId: "1", epoch: "7", observations: [], votes: [] };
    expect(decodeAnswer(json(base), want).rewards).toEqual([]);
    for (const bad of ["-1", "1e20", "0x10", "01", "1".repeat(79)])
      expect(() => decodeAnswer(json({ ...base, rewards: [bad] }), want)).toThrow(
        /rewards\.0 must be a decimal uint256/,
      );
  });
});
