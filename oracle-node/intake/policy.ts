import type { ChallengeTypeName } from "../../attestation/index";

/** How a network's devices are watched: the off-chain meaning of the registry's `challengePolicyId`. */
export interface ChallengePolicy {
  /** Devices heartbeat once per interval; uptime is the share of intervals covered. */
  heartbeatIntervalMs: number;
  /** Mean time between challenges to one device from one node (jittered ±50% with the node's own randomness). */
  challengeIntervalMs: number;
  /** Challenge types issued, in rotation. */
  types: ChallengeTypeName[];
}

// 5 s heartbeats match the device agent's default; one challenge a minute per node keeps the
// verifier's cost per device low (k nodes each challenge), yet gives ~60 samples per hour-long epoch.
const POLICIES: Record<number, ChallengePolicy> = {
  0: { heartbeatIntervalMs: 5_000, challengeIntervalMs: 60_000, types: [] },
  1: {
    heartbeatIntervalMs: 5_000,
    challengeIntervalMs: 60_000,
    types: ["compute", "storage", "bandwidth", "latency"],
  },
  2: { heartbeatIntervalMs: 5_000, challengeIntervalMs: 60_000, types: ["compute"] },
  3: { heartbeatIntervalMs: 5_000, challengeIntervalMs: 60_000, types: ["storage"] },
};

/**
 * The policy for a network. An unknown id falls back to policy 1 (every challenge type) rather than
 * leaving devices unchallenged. Short devnet epochs get at least three challenge rounds per epoch.
 */
export function challengePolicy(policyId: number, epochLengthSeconds: number): ChallengePolicy {
  const base = POLICIES[policyId] ?? POLICIES[1]!;
  const epochMs = epochLengthSeconds * 1000;
  return {
    ...base,
    heartbeatIntervalMs: Math.min(base.heartbeatIntervalMs, Math.max(250, Math.floor(epochMs / 4))),
    challengeIntervalMs: Math.min(base.challengeIntervalMs, Math.max(500, Math.floor(epochMs / 3))),
  };
}
