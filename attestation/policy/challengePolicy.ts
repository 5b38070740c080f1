import type { IssueParams } from "../challenges/challenger";
import { workUnitsOf } from "../challenges/judge";
import type { ChallengeTypeName } from "../constants";
import type { Message } from "../messages/message";

/**
 * How a network's devices are watched: the off-chain meaning of the registry's `challengePolicyId`.
 * Every threshold the node applies to a device is a field here. It lives in `attestation/` because
 * devices apply it too: from the chain's policy id and epoch length a device computes the epoch's
 * challenge rounds and refuses a challenge outside them (`checkInRound`).
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
  /**
   * Oldest a liveness ticket may be when a heartbeat echoes it; an older one credits no uptime.
   * 7.5 s: the agent heartbeats twice per 5 s interval, so it echoes a ticket 2.5 s after it was
   * issued, or 5 s (one interval) after if the heartbeat in between was lost; plus 2.5 s for the
   * answer to reach the device and its heartbeat to come back on a slow or loaded path. A device
   * that went away can bank at most a few tickets, each worth one slot for this long.
   */
  ticketMaxAgeMs: number;
  /**
   * Largest difference between a heartbeat's `timeMs` and the node's clock; beyond it the gateway
   * refuses the heartbeat (`DEADLINE`, naming the skew). 15 s: the agent signs on the node's clock,
   * corrected by the skew it measured around `info()` (off by at most half that request's round
   * trip, 5 s under the client's 10 s timeout; drift until the next measurement, an epoch later, is
   * 0.36 s at 100 ppm, and NTP-synced clocks drift far less), plus the heartbeat's own time in
   * flight, at most the client's 10 s timeout.
   */
  maxClockSkewMs: number;
  /**
   * Time between challenge rounds. In a round every assigned node challenges every device it
   * watches at the same moment, all with the same challenge type (`challengeRounds`): a machine
   * answering for several keys (one owner's, one address's, or anyone's) gets all their challenges
   * at once and must do all of the work inside one deadline.
   */
  challengeIntervalMs: number;
  /** Challenge types issued, one per round in a rotation the epoch's beacon shuffles. */
  types: ChallengeTypeName[];
  /**
   * Deadline per challenge type, ms after issue, the same for every class. Compute and bandwidth
   * challenges grow with the claimed class (n = 64·2^class, payload = `bandwidthBaseBytes`·2^class)
   * while the deadline does not: a class is a speed, so a device that claims a class its hardware
   * lacks misses, and a miss earns nothing (credit is never given for a class below the claim: a
   * stronger machine's slack would then pay a weaker key, see docs/attestation.md "Classes").
   */
  deadlineMs: Record<ChallengeTypeName, number>;
  /** Bandwidth payload of class 0, bytes; class c downloads 2^c times as much. */
  bandwidthBaseBytes: number;
  /**
   * A device that failed (late, missed, fraud, a commit never opened) more than this fraction of
   * the challenges one node issued to it in an epoch gets work 0 from that node. 0.5: an honest
   * device misses a challenge only to a transport failure, which the agent retries within the
   * deadline, so more than half failed means it was mostly not serving. A device that answers
   * only when it suits it (the cheap challenges, or while it is online) must not keep a rate.
   */
  maxMissFraction: number;
}

/**
 * Production deadlines. 2 s for compute, storage and bandwidth: a class-c device does k = 3
 * simultaneous class-c challenges (n = 64·2^c) in well under that on the hardware the class names;
 * storage is 8 chunk reads (local: milliseconds, see `npm run bench -- storage-margin`); 1 s for a
 * latency echo.
 */
const PRODUCTION_DEADLINES: Record<ChallengeTypeName, number> = {
  compute: 2_000,
  storage: 2_000,
  bandwidth: 2_000,
  latency: 1_000,
};

/**
 * Devnet deadline, the same for every type: a quarter of the epoch, at most 7.5 s. The devnet's
 * simulated devices share two cores with the nodes (and in the verdicts bench one event loop), and
 * each simulated machine spends 26% of a deadline per job (attestation/fleet/hardware.ts), so
 * k = 3 jobs take 78% of it; 7.5 s leaves 1.6 s for the transport and the event loop at that load.
 */
const DEVNET_MAX_DEADLINE_MS = 7_500;
/** Rounds in a devnet epoch: one per challenge type of policy 1. */
const DEVNET_ROUNDS = 4;

const BASE = {
  maxHeartbeatsPerInterval: 4,
  ticketMaxAgeMs: 7_500,
  maxClockSkewMs: 15_000,
  maxMissFraction: 0.5,
  deadlineMs: PRODUCTION_DEADLINES,
  // 256 KiB in the 2 s deadline is about 1 Mbit/s, the class-0 link; each class doubles it.
  bandwidthBaseBytes: 256 * 1024,
};

// 5 s heartbeats match the device agent's default; one round a minute keeps the verifier's cost per
// device low (k nodes each challenge), yet gives ~60 samples per hour-long epoch.
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
 * leaving devices unchallenged. An epoch shorter than three production round intervals (3 min) only
 * exists on devnets and in tests, where simulated devices share a loaded machine: there every
 * type's deadline is a quarter of the epoch (at most 7.5 s), payloads are an eighth of production's
 * (hashing them is CPU the simulated devices share), and four rounds are spaced to end in the epoch.
 */
export function challengePolicy(policyId: number, epochLengthSeconds: number): ChallengePolicy {
  const base = POLICIES[policyId] ?? POLICIES[1]!;
  const epochMs = epochLengthSeconds * 1000;
  const heartbeatIntervalMs = Math.min(base.heartbeatIntervalMs, Math.max(250, Math.floor(epochMs / 4)));
  if (epochMs >= 3 * base.challengeIntervalMs) return { ...base, heartbeatIntervalMs };
  const deadline = Math.max(250, Math.min(DEVNET_MAX_DEADLINE_MS, Math.floor(epochMs / 4)));
  const deadlineMs = { compute: deadline, storage: deadline, bandwidth: deadline, latency: deadline };
  // Rounds start up to ROUND_PHASE_MAX_MS into the epoch, and a node issues a round up to
  // ROUND_LATE_MS after its time; issued that late, the last one's deadline must still end in it.
  const spacing = Math.floor((epochMs - deadline - ROUND_PHASE_MAX_MS - ROUND_LATE_MS) / (DEVNET_ROUNDS - 1));
  return {
    ...base,
    heartbeatIntervalMs,
    deadlineMs,
    bandwidthBaseBytes: base.bandwidthBaseBytes / 8,
    challengeIntervalMs: Math.max(250, spacing),
  };
}

/** A challenge's deadline under the policy, ms after issue. */
export function challengeDeadlineMs(policy: ChallengePolicy, params: IssueParams): number {
  return policy.deadlineMs[params.type];
}

/**
 * What a passed challenge is worth, in units of a class-0 compute challenge (n = 64): compute
 * (n/64)^3, its multiply-adds; storage the bytes it proves (`workUnitsOf`); bandwidth 2^class, the
 * payload over the class-0 payload; latency 0. A round trip costs a device nothing a second key on
 * the same machine would not get for free, so it proves liveness (a missed echo still counts as a
 * failed challenge) and carries no credit.
 */
export function creditUnits(policy: ChallengePolicy, c: Message<"challenge">): bigint {
  const p = c.body.params;
  if (p.type === "latency") return 0n;
  if (p.type === "bandwidth") return BigInt(Math.max(1, Math.floor(p.bytes / policy.bandwidthBaseBytes)));
  return workUnitsOf(c);
}

/** Rounds start this far into the epoch at most (the beacon picks where): `challengeRounds`. */
export const ROUND_PHASE_MAX_MS = 1_000;

/**
 * A node skips a round it reaches this late rather than issue it late (it would no longer be
 * simultaneous with the other nodes'). 2 s: eight ticks of the intake's default 250 ms, past any
 * event-loop stall seen on the loaded devnet, and well under a devnet deadline.
 */
export const ROUND_LATE_MS = 2_000;
