import { describe, expect, it } from "vitest";
import type { DevnetEvent } from "./events";
import { summarize } from "./summary";

const epoch = (n: number, rewardMismatches: number): DevnetEvent => ({
  type: "epoch",
  epoch: n,
  verified: 3,
  rewarded: 3,
  slashed: {},
  rejected: 0,
  resultRoot: `0x${"ab".repeat(32)}`,
  votes: 2,
  settlementTx: `0x${"cd".repeat(32)}`,
  totalReward: "100",
  bridged: "0",
  rewardMismatches,
  seq: n,
  time: 0,
});

describe("devnet summary", () => {
  it("passes epochs whose rewards follow the formula", () => {
    const s = summarize([epoch(0, 0), epoch(1, 0)], null);
    expect(s).toMatchObject({ ok: true, epochsAgreed: 2, epochsSettled: 2 });
    expect(s.reason).toBeUndefined();
  });

  it("fails a run in which an epoch's rewards differ from the formula, naming the epoch", () => {
    const s = summarize([epoch(0, 0), epoch(1, 31)], null);
    expect(s.ok).toBe(false);
    expect(s.reason).toBe("rewards differ from the formula in epochs 1");
  });

  it("fails a run in which an epoch check failed the epochs stage, listing every failed stage", () => {
    const stage = (name: string, detail: string, seq: number): DevnetEvent => ({
      type: "stage",
      stage: name,
      status: "failed",
      detail,
      seq,
      time: 0,
    });
    const s = summarize(
      [
        epoch(0, 0),
        stage("settlement", "epoch 1 not settled", 1),
        stage("epochs", "epoch 1: settlement report: 1 signatures, expected f + 1 = 2", 2),
      ],
      null,
    );
    expect(s.ok).toBe(false);
    expect(s.reason).toBe(
      "stage settlement failed: epoch 1 not settled; stage epochs failed: epoch 1: settlement report: 1 signatures, expected f + 1 = 2",
    );
  });
});
