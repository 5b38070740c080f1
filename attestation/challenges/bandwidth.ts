import { keccak256, taggedHash } from "../hash";
import { Prg } from "../prg";

/**
 * Bandwidth: the challenger serves a payload derived from its secret salt (so the device cannot
 * generate it locally and must download it). The challenge it signed carries `payloadHash` of that
 * payload, so the device can tell a corrupted payload from the real one before it signs anything;
 * it proves receipt with `bandwidthReceipt`, which needs the whole payload (the hash alone does not
 * give it). The time bound is the challenger's measurement between serving and receiving the receipt.
 *
 * The payload derives from the challenge's `nonce` and the salt, not from the challenge id: the id
 * covers the signed `payloadHash`, which must be known before the challenge is signed.
 */
export const bandwidthPayload = (nonce: Uint8Array, salt: Uint8Array, bytes: number): Uint8Array =>
  new Prg(taggedHash("vigil.bandwidth.payload", nonce, salt)).fill(new Uint8Array(bytes));

/** The commitment a bandwidth challenge carries: keccak256 of the payload. */
export const payloadHash = (payload: Uint8Array): Uint8Array => keccak256(payload);

/** What the device signs for a bandwidth challenge: bound to the challenge and to every payload byte. */
export const bandwidthReceipt = (challengeId: Uint8Array, payload: Uint8Array): Uint8Array =>
  taggedHash("vigil.bandwidth.receipt", challengeId, payload);

/** Latency round trips from several challengers: the lowest is the tightest bound on the device's distance. */
export function summarizeLatency(rttMs: number[]): { minMs: number; medianMs: number; count: number } | null {
  if (rttMs.length === 0) return null;
  const s = [...rttMs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const medianMs = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { minMs: s[0]!, medianMs, count: s.length };
}
