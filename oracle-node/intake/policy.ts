import { type ChallengeTypeName, defaultDeadlineMs, type IssueParams } from "../../attestation/index";

/**
 * How a network's devices are watched: the off-chain meaning of the registry's `challengePolicyId`.
 * Every threshold the node applies to a device is a field here.
 */
export interface ChallengePolicy {
  /** Devices heartbeat once per interval; uptime is the share of intervals covered. */
  heartbeatIntervalMs: number;
  /**
   * Heartbeats one node's gateway accepts from one device per heartbeat interval; beyond it the
   * gateway answers RATE_LIMITED and keeps nothing. 4: the agent sends 2 per interval (it
   * heartbeats at half the interval), times 2 for a retry after a transport error or a slot
   * boundary that falls differently on the device's and the node's clock.
   */
  maxHeartbeatsPerInterval: number;
  /** Mean time between challenges to one device from one node (jittered ±50% with the node's own randomness). */
  challengeIntervalMs: number;
  /** Challenge types issued, in rotation. */
  types: ChallengeTypeName[];
  /**
   * Least deadline per challenge type, ms after issue. A challenge's deadline is the larger of this
   * and `defaultDeadlineMs(params)` (which grows with the compute size and the bandwidth payload);
   * see `challengeDeadlineMs`. No challenge is issued whose deadline falls after its epoch's end.
   */
  minDeadlineMs: Record<ChallengeTypeName, number>;
  /**
   * A device that failed (late, missed, fraud, a commit never opened) more than this fraction of
   * the challenges one node issued to it in an epoch gets work 0 from that node. 0.5: an honest
   * device misses a challenge only to a transport failure, which the agent retries within the
   * deadline, so more than half failed means it was mostly not serving. A device that answers
   * only when it suits it (the cheap challenges, or while it is online) must not keep a rate,
   * while one unlucky miss out of the ~3 a node issues per devnet epoch (1/3) stays under it.
   */
  maxMissFraction: number;
}

/**
 * Production deadlines: the fixed parts of `defaultDeadlineMs` (2 s for compute, storage and
 * bandwidth before their size terms, 1 s for a latency echo), so the work-based default decides.
 */
const PRODUCTION_DEADLINES: Record<ChallengeTypeName, number> = {
  compute: 2_000,
  storage: 2_000,
  bandwidth: 2_000,
  latency: 1_000,
};

/**
 * Devnet deadline, the same for every type. 5 s: the devnet's 200 simulated devices share two
 * cores with four nodes, where an honest answer waits behind the whole fleet's event loop (answers
 * were seen arriving after the production 1–2 s deadlines at that load); 5 s is 2.5 times the
 * production storage deadline.
 */
const DEVNET_DEADLINE_MS = 5_000;

const BASE = { maxHeartbeatsPerInterval: 4, maxMissFraction: 0.5, minDeadlineMs: PRODUCTION_DEADLINES };

// 5 s heartbeats match the device agent's default; one challenge a minute per node keeps the
// verifier's cost per device low (k nodes each challenge), yet gives ~60 samples per hour-long epoch.
const POLICIES: Record<number, ChallengePolicy> = {
  0: { ...BASE, heartbeatIntervalMs: 5_000, challengeIntervalMs: 60_000, types: [] },
  1: {
    ...BASE,
    heartbeatIntervalMs: 5_000,
    challengeIntervalMs: 60_000,
    types: ["compute", "storage", "bandwidth", "latency"],
  },
  2: { ...BASE, heartbeatIntervalMs: 5_000, challengeIntervalMs: 60_000, types: ["compute"] },
  3: { ...BASE, heartbeatIntervalMs: 5_000, challengeIntervalMs: 60_000, types: ["storage"] },
};

/**
 * The policy for a network. An unknown id falls back to policy 1 (every challenge type) rather than
 * leaving devices unchallenged. Short devnet epochs get at least three challenge rounds per epoch.
 * An epoch shorter than three production challenge intervals (3 min) only exists on devnets and in
 * tests, where simulated devices share a loaded machine: there every type's deadline is at least
 * `min(5 s, epoch / 6)`, the sixth leaving most of the epoch to issue challenges that end in it.
 */
export function challengePolicy(policyId: number, epochLengthSeconds: number): ChallengePolicy {
  const base = POLICIES[policyId] ?? POLICIES[1]!;
  const epochMs = epochLengthSeconds * 1000;
  const devnet = epochMs < 3 * base.challengeIntervalMs;
  const devnetDeadline = Math.min(DEVNET_DEADLINE_MS, Math.floor(epochMs / 6));
  const minDeadlineMs = devnet
    ? (Object.fromEntries(
        Object.entries(base.minDeadlineMs).map(([type, ms]) => [type, Math.max(ms, devnetDeadline)]),
      ) as Record<ChallengeTypeName, number>)
    : base.minDeadlineMs;
  return {
    ...base,
    heartbeatIntervalMs: Math.min(base.heartbeatIntervalMs, Math.max(250, Math.floor(epochMs / 4))),
    challengeIntervalMs: Math.min(base.challengeIntervalMs, Math.max(500, Math.floor(epochMs / 3))),
    minDeadlineMs,
  };
}

/** A challenge's deadline under the policy, ms after issue. */
export function challengeDeadlineMs(policy: ChallengePolicy, params: IssueParams): number {
  return Math.max(defaultDeadlineMs(params), policy.minDeadlineMs[params.type]);
}
