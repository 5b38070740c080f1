import type { DeviceLine } from "../../../contracts";
import { DevnetError } from "../errors";
import { checkRewardFormula, type SlaInputs, type SlaSummary } from "./rewardFormula";

/**
 * The agreed lines pay what docs/interfaces.md's formula (with the uptime SLA, when the network set
 * one) gives for `budget`, which the caller reads
 * from the chain (`epochRewardInputs`), never from the result under test: a result that paid nobody
 * must not pass by making the expected budget 0 too.
 */
export function assertRewardFormula(
  epoch: bigint,
  budget: bigint,
  lines: readonly DeviceLine[],
  unstaked: ReadonlySet<string> = new Set(),
  sla?: SlaInputs,
): SlaSummary {
  const { mismatches, sla: summary } = checkRewardFormula(budget, lines, unstaked, sla);
  if (mismatches.length === 0) return summary;
  const first = mismatches[0]!;
  throw new DevnetError(
    "CHECK_FAILED",
    `epoch ${epoch}: ${mismatches.length} of ${lines.length} rewards differ from the formula for a budget of ${budget} (first ${first.deviceId}: expected ${first.expected}, got ${first.actual})`,
    { check: "reward-formula", epoch: String(epoch), mismatches: mismatches.length },
  );
}
