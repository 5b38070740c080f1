import type { DeviceLine } from "../../../contracts";

export interface RewardMismatch {
  deviceId: DeviceLine["deviceId"];
  expected: bigint;
  actual: bigint;
}

/**
 * Recomputes every line's reward from docs/interfaces.md's formula: over devices not slashed,
 * `reward_i = floor(B * work_i * uptimeBps_i / Σ work_j * uptimeBps_j)`; a slashed line earns 0.
 * Returns the lines whose reward differs (empty when the result follows the formula).
 */
export function checkRewardFormula(
  budget: bigint,
  lines: readonly DeviceLine[],
  /**
   * Devices with no stake at risk in the epoch (lower-case ids, `unstakedDevices`): slashed to zero
   * before it began. The nodes keep them out of Σ weight, although their lines carry `slash = 0`.
   */
  unstaked: ReadonlySet<string> = new Set(),
): RewardMismatch[] {
  const weight = (l: DeviceLine) =>
    l.slash > 0n || unstaked.has(l.deviceId.toLowerCase()) ? 0n : l.work * BigInt(l.uptimeBps);
  const total = lines.reduce((sum, l) => sum + weight(l), 0n);
  const mismatches: RewardMismatch[] = [];
  for (const line of lines) {
    const expected = total === 0n ? 0n : (budget * weight(line)) / total;
    if (expected !== line.reward) mismatches.push({ deviceId: line.deviceId, expected, actual: line.reward });
  }
  return mismatches;
}
