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

  it("fails a run whose scoreboard missed a verdict target, and one whose slashable cheat was never slashed", () => {
    const row = (strategy: "honest" | "wrongCompute", failures: string[], uncaught = 0) => ({
      strategy,
      devices: 1,
      slashed: 0,
      rewarded: 1,
      rewardShare: 0.5,
      fairShare: 0.5,
      honestRateShare: 0.5,
      uptimeBps: 10_000,
      uncaught,
      failures,
    });
    const scored = (n: number, rows: ReturnType<typeof row>[]): DevnetEvent =>
      ({
        ...epoch(n, 0),
        type: "epoch",
        scoreboard: rows,
      }) as DevnetEvent;
    const fine = summarize([scored(0, [row("honest", [])])], null);
    expect(fine).toMatchObject({ ok: true, verdictTargetsMissed: [] });
    const unpaid = summarize([scored(0, [row("honest", ["0/1 rewarded (< 99%)"])])], null);
    expect(unpaid.ok).toBe(false);
    expect(unpaid.verdictTargetsMissed).toEqual(["epoch 0 honest: 0/1 rewarded (< 99%)"]);
    const uncaught = summarize(
      [scored(0, [row("wrongCompute", [], 1)]), scored(1, [row("wrongCompute", [], 1)])],
      null,
    );
    expect(uncaught.verdictTargetsMissed).toEqual(["wrongCompute: 1 of 1 never slashed"]);
  });
});
