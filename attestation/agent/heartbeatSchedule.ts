/**
 * When a device sends its heartbeats to one node, on that node's clock.
 *
 * The node credits uptime per slot of the policy's interval, counted from its epoch's start, and a
 * slot counts only if a heartbeat landed in it (`EpochLedger.heartbeat`). The agent aims two
 * heartbeats at every slot, a quarter and three quarters of the way in: request time and timer
 * jitter never push one across a slot boundary (a free-running period of half the interval slides
 * by the request time each turn, and then a slot now and then gets only one), and a heartbeat that
 * failed is sent again `retryDelayMs` later, still inside its half of the slot. Two planned sends
 * and one retry each are the policy's `maxHeartbeatsPerInterval` (4).
 *
 * Threat: none of this is trusted by the node. A device that sends more is rate limited, and each
 * heartbeat must echo a fresh ticket the node gave it, so the schedule only decides how an honest
 * device spends its allowance.
 */

/**
 * Node-clock time (unix ms) of the next planned heartbeat strictly after `nodeNowMs`: a quarter or
 * three quarters into a slot of `intervalMs`. Slots are aligned on `epochEndMs` (a slot boundary
 * when the epoch is a whole number of intervals, as every policy's is); a node that does not report
 * its epoch end is assumed to align them on the unix epoch.
 */
export function nextHeartbeatAtMs(nodeNowMs: number, intervalMs: number, epochEndMs = 0): number {
  const half = intervalMs / 2;
  const anchor = epochEndMs + intervalMs / 4;
  return anchor + (Math.floor((nodeNowMs - anchor) / half) + 1) * half;
}

/** Wait before resending a failed heartbeat: an eighth of the interval, inside the same half slot. */
export function heartbeatRetryDelayMs(intervalMs: number): number {
  return intervalMs / 8;
}
