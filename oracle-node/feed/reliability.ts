// A device's reliability score (issue 19), computed from its verified history. Pure and free of
// Node built-ins: the feed computes it, and the client (browsers included) recomputes it from lines
// it proved, so a consumer never takes a node's figure on trust.

/** Uptime a device must reach in an epoch to meet the SLA: 99.9 %, in basis points. */
export const SLA_UPTIME_BPS = 9990;
/** Epochs the score covers unless asked otherwise: ~a month of daily epochs. */
export const RELIABILITY_WINDOW_DEFAULT = 30;
/**
 * Most epochs a score may cover: a month of hourly epochs. Bounds the node's work per request (one
 * history read of at most this many lines) and the client's chain reads (one per epoch).
 */
export const RELIABILITY_WINDOW_MAX = 720;

/** How one epoch of the window counts, as the device's history accounts for it. */
export type ReliabilityEpoch =
  | { epoch: bigint; status: "line"; uptimeBps: number; slash: bigint }
  /** Settled, and the device has no line in it (not registered, or watched by no one): counts as 0. */
  | { epoch: bigint; status: "absent" }
  /** Settled as a timeout, no result: counts as 0. */
  | { epoch: bigint; status: "timeout" };

export interface Reliability {
  /** The window asked for (W). */
  window: number;
  /** The window's epochs: `toEpoch` (the network's newest settled epoch) back W epochs, not below 0. */
  fromEpoch: bigint;
  toEpoch: bigint;
  /** `toEpoch - fromEpoch + 1`: W, or fewer while the network is younger than W epochs. */
  epochs: number;
  /** Epochs of the window that settled with a result (the others timed out). */
  epochsSettled: number;
  /** Epochs of the window where the device has a line. */
  epochsWithLine: number;
  /** Mean uptime over the epochs with a line (floor, bps); null when there is none. */
  meanUptimeBps: number | null;
  /** Epochs with a line at or above `SLA_UPTIME_BPS`. */
  epochsAtSla: number;
  /** Epochs of the window where the device was slashed (its line's `slash` > 0). */
  slashes: number;
  /**
   * The score, bps: the mean uptime over all `epochs` of the window, an epoch without a line (absent
   * or timed out) counting 0, floored; 0 if the device was slashed in the window.
   */
  scoreBps: number;
}

/** The window of `window` epochs ending at `toEpoch`. */
export function reliabilityWindow(toEpoch: bigint, window: number): { fromEpoch: bigint; toEpoch: bigint } {
  if (!Number.isInteger(window) || window < 1 || window > RELIABILITY_WINDOW_MAX)
    throw new RangeError(`reliability window must be an integer 1..${RELIABILITY_WINDOW_MAX}, got ${window}`);
  if (toEpoch < 0n) throw new RangeError(`toEpoch must be >= 0, got ${toEpoch}`);
  const from = toEpoch - BigInt(window) + 1n;
  return { fromEpoch: from < 0n ? 0n : from, toEpoch };
}

/**
 * The reliability of a device over the `window` epochs ending at `toEpoch` (the network's newest
 * settled epoch). `history` must account for every epoch of the window exactly once (a line, an
 * absence, or a timeout); epochs outside it are ignored. Throws `RangeError` otherwise: a score over
 * a history with holes would be a guess.
 */
export function computeReliability(
  toEpoch: bigint,
  window: number,
  history: readonly ReliabilityEpoch[],
): Reliability {
  const { fromEpoch } = reliabilityWindow(toEpoch, window);
  const epochs = Number(toEpoch - fromEpoch + 1n);
  const seen = new Set<bigint>();
  let epochsSettled = 0;
  let epochsWithLine = 0;
  let uptimeSum = 0;
  let epochsAtSla = 0;
  let slashes = 0;
  for (const e of history) {
    if (e.epoch < fromEpoch || e.epoch > toEpoch) continue;
    if (seen.has(e.epoch)) throw new RangeError(`epoch ${e.epoch} appears twice in the history`);
    seen.add(e.epoch);
    if (e.status === "timeout") continue;
    epochsSettled++;
    if (e.status === "absent") continue;
    if (!Number.isInteger(e.uptimeBps) || e.uptimeBps < 0 || e.uptimeBps > 10_000)
      throw new RangeError(`epoch ${e.epoch}: uptimeBps ${e.uptimeBps} is not 0..10000`);
    epochsWithLine++;
    uptimeSum += e.uptimeBps;
    if (e.uptimeBps >= SLA_UPTIME_BPS) epochsAtSla++;
    if (e.slash > 0n) slashes++;
  }
  if (seen.size !== epochs)
    throw new RangeError(
      `the history accounts for ${seen.size} of the ${epochs} epochs ${fromEpoch}..${toEpoch}`,
    );
  return {
    window,
    fromEpoch,
    toEpoch,
    epochs,
    epochsSettled,
    epochsWithLine,
    meanUptimeBps: epochsWithLine === 0 ? null : Math.floor(uptimeSum / epochsWithLine),
    epochsAtSla,
    slashes,
    scoreBps: slashes > 0 ? 0 : Math.floor(uptimeSum / epochs),
  };
}
