import type { DeviceLine } from "../../../contracts";

export interface RewardMismatch {
  deviceId: DeviceLine["deviceId"];
  expected: bigint;
  actual: bigint;
}

/**
 * The uptime SLA the check applies (docs/interfaces.md, "Uptime SLA"), with the history it judges
 * on: the caller's own verified lines of the window's settled epochs, never the nodes' word.
 */
export interface SlaInputs {
  sla: {
    windowEpochs: number;
    bonusThresholdBps: number;
    bonusBps: number;
    penaltyThresholdBps: number;
    penaltyBps: number;
  };
  /** Lines of each settled epoch in the window (lower-case device ids inside). */
  history: readonly (readonly DeviceLine[])[];
}

/** What the SLA did in an epoch, by the check's own reckoning. */
export interface SlaSummary {
  bonused: number;
  bonusPaid: bigint;
  penalized: number;
  withheld: bigint;
}

export interface RewardCheck {
  mismatches: RewardMismatch[];
  sla: SlaSummary;
}

/**
 * Recomputes every line's reward from docs/interfaces.md's formula: over the eligible devices (stake
 * at risk in the epoch, `N` of them), `weight_i = work_i * uptimeBps_i` for a device not slashed,
 * `q` devices with weight > 0, `share_i(X) = floor(X * q * weight_i / (N * Σ weight))`. Without an
 * SLA, `reward_i = share_i(B)`. With one, the pool `P = floor(B * bonusBps / 10000)` is set apart:
 * `reward_i = share_i(B - P)`, cut by `penaltyBps` when the device's mean uptime over its history
 * lines and this epoch is below `penaltyThresholdBps`, plus `share_i(P)` when that mean is at least
 * `bonusThresholdBps` and it has a line in every history epoch of a full window. A slashed or
 * ineligible line earns 0. `lines` must be every line of the epoch (N counts them). Returns the lines
 * whose reward differs (empty when the result follows the formula) and what the SLA did.
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
  sla?: SlaInputs,
): RewardCheck {
  const eligible = (l: DeviceLine) => !unstaked.has(l.deviceId.toLowerCase());
  const weight = (l: DeviceLine) => (l.slash > 0n || !eligible(l) ? 0n : l.work * BigInt(l.uptimeBps));
  const total = lines.reduce((sum, l) => sum + weight(l), 0n);
  const n = BigInt(lines.filter(eligible).length);
  const q = BigInt(lines.filter((l) => weight(l) > 0n).length);
  const on = sla && sla.sla.windowEpochs > 0 ? sla : undefined;
  const pool = on ? (budget * BigInt(on.sla.bonusBps)) / 10_000n : 0n;
  // Per device: its uptime summed over the history lines, and how many it has.
  const past = new Map<string, { sum: number; count: number }>();
  for (const epochLines of on?.history ?? [])
    for (const l of epochLines) {
      const p = past.get(l.deviceId.toLowerCase()) ?? { sum: 0, count: 0 };
      past.set(l.deviceId.toLowerCase(), { sum: p.sum + l.uptimeBps, count: p.count + 1 });
    }
  const summary: SlaSummary = { bonused: 0, bonusPaid: 0n, penalized: 0, withheld: 0n };
  const mismatches: RewardMismatch[] = [];
  for (const line of lines) {
    const w = weight(line);
    const share = (x: bigint) => (total === 0n ? 0n : (x * q * w) / (n * total));
    let expected = share(budget - pool);
    if (on && w > 0n) {
      const p = past.get(line.deviceId.toLowerCase()) ?? { sum: 0, count: 0 };
      // The mean against a threshold, exactly: Σ uptime against threshold × epochs.
      const total = p.sum + line.uptimeBps;
      const epochs = p.count + 1;
      if (total < on.sla.penaltyThresholdBps * epochs) {
        const cut = (expected * BigInt(on.sla.penaltyBps)) / 10_000n;
        expected -= cut;
        summary.penalized++;
        summary.withheld += cut;
      }
      if (p.count >= on.sla.windowEpochs - 1 && total >= on.sla.bonusThresholdBps * epochs) {
        expected += share(pool);
        summary.bonused++;
        summary.bonusPaid += share(pool);
      }
    }
    if (expected !== line.reward) mismatches.push({ deviceId: line.deviceId, expected, actual: line.reward });
  }
  return { mismatches, sla: summary };
}
