import { type EpochScoreboard, scoreRun } from "../../attestation/fleet/scoreboard";
import type { DevnetEvent } from "./events";
import { type GovernanceSummary, summarizeGovernance } from "./governance/summarizeGovernance";

export interface SupplyCheck {
  /** Reward tokens on the home chain plus the remote chain, before and after; equal when conserved. */
  before: string;
  after: string;
  bridgedOut: string;
  /** Burned by verification fees over the run (the only way supply may drop). */
  burned: string;
  conserved: boolean;
}

export interface DevnetSummary {
  ok: boolean;
  epochsSettled: number;
  /** Epochs whose result f + 1 nodes certified (settled or not). */
  epochsAgreed: number;
  devicesRewarded: number;
  devicesSlashedByReason: Record<string, number>;
  honestDevicesSlashed: number;
  rejectedUnrewarded: number;
  bridgeTransfersDelivered: number;
  bridgeTransfersSent: number;
  supplyCheck: SupplyCheck | null;
  /** Verdict-accuracy targets missed over the run, per epoch and strategy (docs/attestation.md). */
  verdictTargetsMissed: string[];
  /** The governance proposal run during the epochs (propose → executed → read back), null if none ran. */
  governance: GovernanceSummary | null;
  /** Stages that ran end to end, and those that could not yet (with why). */
  stages: Record<string, string>;
  reason?: string;
}

/** Folds the event log into the one-line JSON summary `--exit` prints. */
export function summarize(events: readonly DevnetEvent[], supplyCheck: SupplyCheck | null): DevnetSummary {
  const rewarded = new Set<string>();
  const slashedByReason: Record<string, number> = {};
  const slashed = new Set<string>();
  let honestSlashed = 0;
  let epochsSettled = 0;
  let epochsAgreed = 0;
  let rejected = 0;
  let delivered = 0;
  let sent = 0;
  const stages: Record<string, string> = {};
  const formulaBroken: number[] = [];
  const boards: EpochScoreboard[] = [];
  for (const e of events) {
    if (e.type === "epoch" && (e.rewardMismatches ?? 0) > 0) formulaBroken.push(e.epoch);
    if (e.type === "epoch" && e.resultRoot) epochsAgreed++;
    if (e.type === "epoch" && e.scoreboard && !e.warmUp)
      boards.push({
        epoch: BigInt(e.epoch),
        rows: e.scoreboard,
        ok: e.scoreboard.every((r) => !r.failures.length),
      });
    if (e.type === "epoch" && e.settlementTx) {
      epochsSettled++;
      rejected += e.rejected;
    }
    if (e.type === "reward" && BigInt(e.amount) > 0n) rewarded.add(e.deviceId);
    if (e.type === "slash" && e.onChain && !slashed.has(e.deviceId)) {
      slashed.add(e.deviceId);
      slashedByReason[e.reason] = (slashedByReason[e.reason] ?? 0) + 1;
      if (e.honest) honestSlashed++;
    }
    if (e.type === "bridge") {
      if (e.status === "sent") sent++;
      if (e.status === "delivered") delivered++;
    }
    if (e.type === "stage") stages[e.stage] = e.detail ? `${e.status}: ${e.detail}` : e.status;
  }
  const reasons: string[] = [];
  if (honestSlashed > 0) reasons.push(`${honestSlashed} honest devices slashed`);
  if (supplyCheck && !supplyCheck.conserved) reasons.push("bridged supply not conserved");
  // Every stage whose last word is a failure: a failed epoch check fails the `epochs` stage.
  for (const [stage, status] of Object.entries(stages))
    if (status.startsWith("failed")) reasons.push(`stage ${stage} ${status}`);
  const verdictTargetsMissed = scoreRun(boards);
  if (verdictTargetsMissed.length) reasons.push(`${verdictTargetsMissed.length} verdict targets missed`);
  if (formulaBroken.length)
    reasons.push(`rewards differ from the formula in epochs ${formulaBroken.join(", ")}`);
  return {
    ok: reasons.length === 0,
    epochsSettled,
    epochsAgreed,
    devicesRewarded: rewarded.size,
    devicesSlashedByReason: slashedByReason,
    honestDevicesSlashed: honestSlashed,
    rejectedUnrewarded: rejected,
    bridgeTransfersDelivered: delivered,
    bridgeTransfersSent: sent,
    supplyCheck,
    verdictTargetsMissed,
    governance: summarizeGovernance(events),
    stages,
    ...(reasons.length ? { reason: reasons.join("; ") } : {}),
  };
}
