export type BackfillErrorCode =
  /** No peer answered with the epoch (none connected, none had it, or every answer failed a check). */
  | "BACKFILL_UNAVAILABLE"
  /** A peer's answer is not what the protocol allows (malformed, too large, another epoch). */
  | "BACKFILL_BAD_RESPONSE"
  /** A peer's observations are well signed but do not recompute to the root the chain settled. */
  | "BACKFILL_ROOT_MISMATCH"
  /** The epoch has nothing to fetch: settled as a timeout (zero root) or pruned here. */
  | "BACKFILL_NOTHING_TO_FETCH";

export class BackfillError extends Error {
  override readonly name = "BackfillError";
  constructor(
    readonly code: BackfillErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
