/**
 * Every check the library performs has a code; a failed check returns an `AttestationError`
 * naming it, never throws on hostile bytes. The node maps codes to gossip REJECT / IGNORE and to
 * HTTP 400s; `check` is a short human-readable detail (which field, which limit).
 */
export type AttestationErrorCode =
  | "TRUNCATED" // input ended before a field it declares
  | "OVERSIZED" // input or a field is larger than the limit for its kind
  | "TRAILING_BYTES" // bytes after the signature
  | "BAD_MAGIC" // not a Vigil message
  | "UNSUPPORTED_VERSION"
  | "UNKNOWN_KIND"
  | "WRONG_KIND" // a valid message of another kind than the caller expected (cross-kind replay)
  | "WRONG_NETWORK" // signed for another network (cross-network replay)
  | "WRONG_EPOCH" // signed for another epoch (cross-epoch replay)
  | "MALFORMED" // a field holds a value outside its domain
  | "BAD_SIGNATURE"
  | "REPLAY" // a heartbeat whose sequence number is not above the last one accepted, or a registration older than the one held
  | "UNKNOWN_DEVICE" // device not registered (a Sybil): nothing it sends is credited
  | "WRONG_DEVICE" // a message signed by another key than the device it concerns
  | "MISMATCH" // messages that should refer to each other do not (challenge id, device, salt)
  | "DEADLINE" // arrived after the challenge deadline
  | "NOT_ASSIGNED" // evidence from a challenger the chain did not assign to the device in that epoch
  | "UNREGISTERED" // a gateway record whose signer is not an active operator, or signed by another key than its registered peer id
  | "OUT_OF_ROUND" // a challenge outside the epoch's rounds, of another type or deadline, or a second one from its challenger in a round
  | "VERDICT_MISMATCH"; // an evidence bundle claims a verdict its content does not support

export class AttestationError extends Error {
  override readonly name = "AttestationError";
  constructor(
    readonly code: AttestationErrorCode,
    readonly check: string,
  ) {
    super(`${code}: ${check}`);
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AttestationError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: AttestationErrorCode, check: string): Result<T> => ({
  ok: false,
  error: new AttestationError(code, check),
});
