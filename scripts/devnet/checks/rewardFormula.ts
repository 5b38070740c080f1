import type { DeviceLine } from "../../../contracts";

export interface RewardMismatch {
  deviceId: DeviceLine["deviceId"];
  expected: bigint;
  actual: bigint;
}

/**
 * Recomputes every line's reward from docs/interfaces.md's formula: over the eligible devices (stake
 * at risk in the epoch, `N` of them), `weight_i = work_i * uptimeBps_i` for a device not slashed,
 * `q` devices with weight > 0, `reward_i = floor(B * q * weight_i / (N * Σ weight))`; a slashed or
 * ineligible line earns 0. `lines` must be every line of the epoch (N counts them). Returns the
 * lines whose reward differs (empty when the result follows the formula).
 */
export function checkRewardFormula(
  budget: bigint,
  lines: readonly DeviceLine[],
  /**
   * Devices with no stake at risk in the epoch (lower-case ids, `epochRewardInputs`): slashed to
   * zero before it began. The nodes keep them out of N and Σ weight, although their lines carry
   * `slash = 0`.
   */
  unstaked: ReadonlySet<string> = new Set(),
): RewardMismatch[] {
  const eligible = (l: DeviceLine) => !unstaked.has(l.deviceId.toLowerCase());
  const weight = (l: DeviceLine) => (l.slash > 0n || !eligible(l) ? 0n : l.work * BigInt(l.uptimeBps));
  const total = lines.reduce((sum, l) => sum + weight(l), 0n);
  const n = BigInt(lines.filter(eligible).length);
  const q = BigInt(lines.filter((l) => weight(l) > 0n).length);
  const mismatches: RewardMismatch[] = [];
  for (const line of lines) {
    const expected = total === 0n ? 0n : (budget * q * weight(line)) / (n * total);
    if (expected !== line.reward) mismatches.push({ deviceId: line.deviceId, expected, actual: line.reward });
  }
  return mismatches;
}
