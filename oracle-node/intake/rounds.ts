import { type Hex, hexToBigInt, keccak256, toHex } from "viem";
import type { ChallengeTypeName } from "../../attestation/index";
import { type ChallengePolicy, ROUND_PHASE_MAX_MS } from "./policy";

export interface ChallengeRound {
  /** Position in the epoch, from 0. */
  index: number;
  /** When every assigned node issues the round's challenges, unix ms. */
  atMs: number;
  type: ChallengeTypeName;
}

/**
 * The challenge rounds of an epoch, the same on every node: they start at a phase the epoch's
 * beacon picks (under `ROUND_PHASE_MAX_MS`), one `challengeIntervalMs` apart, each with one type
 * from a rotation the beacon shifts, and only while the round's deadline ends in the epoch.
 *
 * Threat: one machine answering for many device keys (a Sybil farm, a relay to a machine that is
 * itself a registered device). Rounds make every key's challenges, from every assigned node, arrive
 * at the same moment, so the machine must do all of their work inside one deadline; served one at a
 * time, all but what one device's hardware does in that time miss. The timing is public (anyone
 * with the beacon computes it) by design: simultaneity needs the nodes to agree on it, and knowing
 * when a challenge comes does not help answer it (its content is the node's secret until issued).
 */
export function challengeRounds(
  policy: ChallengePolicy,
  beacon: Hex,
  epochStartMs: number,
  epochLengthMs: number,
): ChallengeRound[] {
  if (policy.types.length === 0) return [];
  const h = hexToBigInt(keccak256(toHex(`vigil.challenge.rounds:${beacon}`)));
  const phase = Number(h % BigInt(Math.min(ROUND_PHASE_MAX_MS, policy.challengeIntervalMs)));
  const shift = Number((h >> 64n) % BigInt(policy.types.length));
  const endMs = epochStartMs + epochLengthMs;
  const rounds: ChallengeRound[] = [];
  for (let index = 0; ; index++) {
    const atMs = epochStartMs + phase + index * policy.challengeIntervalMs;
    if (atMs >= endMs) break;
    const type = policy.types[(index + shift) % policy.types.length]!;
    // Deadlines do not depend on the class (policy.deadlineMs): one check fits every device.
    if (atMs + policy.deadlineMs[type] > endMs) continue;
    rounds.push({ index, atMs, type });
  }
  return rounds;
}
