import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import type { DeviceLine } from "../../../contracts";
import { EventLog } from "../events";
import { summarize } from "../summary";
import { assertLinesRead } from "./assertLinesRead";
import { assertRewardFormula } from "./assertRewardFormula";
import { assertSettledRoot } from "./assertSettledRoot";
import { assertSignerQuorum } from "./assertSignerQuorum";
import { enforceCheck } from "./enforceCheck";

const signers = [1, 2, 3, 4].map((i) => `0x${String(i).repeat(40)}` as Address);
const unpaid: DeviceLine = {
  networkId: 1n,
  epoch: 1n,
  deviceId: `0x${"01".repeat(32)}`,
  owner: `0x${"11".repeat(20)}`,
  uptimeBps: 10_000,
  work: 5n,
  reward: 0n,
  slash: 0n,
};

// Each check the devnet used to only log, with its condition injected as runEpochs would meet it.
const injected: [string, () => unknown][] = [
  ["root mismatch", () => assertSettledRoot(1n, `0x${"ab".repeat(32)}`, `0x${"cd".repeat(32)}`)],
  ["one signature", () => assertSignerQuorum(1n, [signers[0]!], signers, 1)],
  ["three signatures", () => assertSignerQuorum(1n, signers.slice(0, 3), signers, 1)],
  ["an unregistered signer", () => assertSignerQuorum(1n, [signers[0]!, `0x${"9".repeat(40)}`], signers, 1)],
  ["a duplicate signer", () => assertSignerQuorum(1n, [signers[1]!, signers[1]!], signers, 1)],
  [
    "an unreadable line",
    () =>
      assertLinesRead(1n, [
        { deviceId: unpaid.deviceId, read: { status: "rejected", reason: new Error("all nodes failed") } },
      ]),
  ],
  ["a formula mismatch against the chain's budget", () => assertRewardFormula(1n, 1000n, [unpaid])],
];

describe("enforceCheck", () => {
  it.each(injected)("fails the run on %s: CHECK_FAILED thrown, summary ok: false", async (_, check) => {
    const log = new EventLog();
    log.emit({ type: "stage", stage: "epochs", status: "starting", detail: "epochs 0..1" });
    const error = await enforceCheck(log, check).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "DevnetError", code: "CHECK_FAILED" });
    const summary = summarize(log.all(), null);
    expect(summary.ok).toBe(false);
    expect(summary.reason).toBe(`stage epochs failed: ${(error as Error).message}`);
  });

  it("passes a check's value through and leaves the run ok when it holds", async () => {
    const log = new EventLog();
    expect(await enforceCheck(log, () => 42)).toBe(42);
    expect(summarize(log.all(), null).ok).toBe(true);
  });

  it("throws other errors as they are, without calling them a failed check", async () => {
    const log = new EventLog();
    const rpc = new Error("connection refused");
    await expect(
      enforceCheck(log, async () => {
        throw rpc;
      }),
    ).rejects.toBe(rpc);
    expect(log.all()).toEqual([]);
  });
});
