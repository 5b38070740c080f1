import { bytesToHex } from "../bytes";
import type { ChallengeTypeName } from "../constants";
import { AttestationError } from "../errors";
import { taggedHash } from "../hash";
import type { Message } from "../messages/message";
import { type ChallengePolicy, ROUND_LATE_MS, ROUND_PHASE_MAX_MS } from "./challengePolicy";

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
 * from a rotation the beacon shifts, and only while the round's deadline ends in the epoch even if
 * issued `ROUND_LATE_MS` late.
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
  beacon: Uint8Array,
  epochStartMs: number,
  epochLengthMs: number,
): ChallengeRound[] {
  if (policy.types.length === 0) return [];
  const h = taggedHash("vigil.challenge.rounds", beacon);
  const word = (i: number) => new DataView(h.buffer, h.byteOffset + i, 4).getUint32(0);
  const phase = word(0) % Math.min(ROUND_PHASE_MAX_MS, policy.challengeIntervalMs);
  const shift = word(4) % policy.types.length;
  const endMs = epochStartMs + epochLengthMs;
  const rounds: ChallengeRound[] = [];
  for (let index = 0; ; index++) {
    const atMs = epochStartMs + phase + index * policy.challengeIntervalMs;
    if (atMs >= endMs) break;
    const type = policy.types[(index + shift) % policy.types.length]!;
    // Deadlines do not depend on the class (policy.deadlineMs): one check fits every device. A node
    // issues a round up to ROUND_LATE_MS after its time, and never a challenge whose deadline falls
    // after the epoch's end: a round that could end past it would be issued by the nodes that ticked
    // early and skipped by the rest, and the devices they watch would be judged on fewer challenges.
    if (atMs + ROUND_LATE_MS + policy.deadlineMs[type] > endMs) continue;
    rounds.push({ index, atMs, type });
  }
  return rounds;
}

/**
 * How far a challenge's issue time may lie outside its round, ms, beyond the node's `ROUND_LATE_MS`:
 * the node's clock against the device's (round times are arithmetic on the chain's genesis time and
 * epoch length, read in UTC). 2 s is twenty times NTP's usual error and leaves a byzantine oracle no
 * more than one challenge per round anyway.
 */
export const ROUND_CLOCK_SLACK_MS = 2_000;

/**
 * The device's check that a challenge came in a round: issued within its round's window, of the
 * round's type, with the policy's deadline for that type, and the first from its challenger in that
 * round. Rounds come from the chain (policy id, epoch timing, beacon), never from a node.
 *
 * Threat: an assigned oracle (one of the f a network tolerates) that floods its devices with
 * challenges, or sets long deadlines, so their hardware is busy when the honest nodes' round comes
 * and they miss it. Held to one challenge per round, it costs a device one job per round, as an
 * honest oracle does; what it sends beyond is refused before any work.
 */
export class RoundGuard {
  /** `${challenger}:${epoch}:${round}` answered; only the last two epochs are kept. */
  private readonly seen = new Map<string, bigint>();

  check(challenge: Message<"challenge">, rounds: readonly ChallengeRound[], policy: ChallengePolicy): void {
    const c = challenge.body;
    const type = c.params.type;
    const issued = Number(c.issuedAtMs);
    const round = rounds.find(
      (r) =>
        r.type === type &&
        issued >= r.atMs - ROUND_CLOCK_SLACK_MS &&
        issued <= r.atMs + ROUND_LATE_MS + ROUND_CLOCK_SLACK_MS,
    );
    if (!round)
      throw new AttestationError(
        "OUT_OF_ROUND",
        `a ${type} challenge issued at ${issued} is in no ${type} round`,
      );
    const span = Number(c.deadlineMs - c.issuedAtMs);
    if (span !== policy.deadlineMs[type])
      throw new AttestationError(
        "OUT_OF_ROUND",
        `deadline ${span} ms after issue, the policy's ${type} deadline is ${policy.deadlineMs[type]} ms`,
      );
    const key = `${bytesToHex(challenge.signer)}:${challenge.epoch}:${round.index}`;
    const held = this.seen.get(key);
    if (held !== undefined)
      throw new AttestationError(
        "OUT_OF_ROUND",
        `a second challenge from its challenger in round ${round.index}`,
      );
    for (const [k, epoch] of this.seen) if (epoch + 1n < challenge.epoch) this.seen.delete(k);
    this.seen.set(key, challenge.epoch);
  }
}
