/**
 * Payloads on the `challenges` gossip topic: one tag byte, then a canonical attestation message
 * (a challenge this node issued, or a signed fraud evidence bundle). Heartbeats on the
 * `attestations` topic are the raw signed heartbeat bytes, untagged.
 */
export const ChallengeGossip = { challenge: 1, evidence: 2 } as const;
export type ChallengeGossipKind = keyof typeof ChallengeGossip;

export function encodeChallengeGossip(kind: ChallengeGossipKind, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + message.length);
  out[0] = ChallengeGossip[kind];
  out.set(message, 1);
  return out;
}

export function decodeChallengeGossip(
  data: Uint8Array,
): { kind: ChallengeGossipKind; message: Uint8Array } | null {
  if (data.length < 2) return null;
  const kind =
    data[0] === ChallengeGossip.challenge
      ? "challenge"
      : data[0] === ChallengeGossip.evidence
        ? "evidence"
        : null;
  return kind ? { kind, message: data.subarray(1) } : null;
}
