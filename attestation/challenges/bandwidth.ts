import { keccak256, taggedHash } from "../hash";
import { Prg } from "../prg";

/**
 * Bandwidth: the challenger serves a payload derived from its secret salt (so the device cannot
 * generate it locally and must download it); the device proves receipt with the payload's hash.
 * The time bound is the challenger's measurement between serving and receiving the hash.
 */
export const bandwidthPayload = (challengeId: Uint8Array, salt: Uint8Array, bytes: number): Uint8Array =>
  new Prg(taggedHash("vigil.bandwidth.payload", challengeId, salt)).fill(new Uint8Array(bytes));

export const payloadHash = (payload: Uint8Array): Uint8Array => keccak256(payload);

/** Latency round trips from several challengers: the lowest is the tightest bound on the device's distance. */
export function summarizeLatency(rttMs: number[]): { minMs: number; medianMs: number; count: number } | null {
  if (rttMs.length === 0) return null;
  const s = [...rttMs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const medianMs = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { minMs: s[0]!, medianMs, count: s.length };
}
