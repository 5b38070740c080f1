export type StoreErrorCode =
  | "STORE_MIGRATION_FAILED"
  | "STORE_NEWER_SCHEMA"
  | "STORE_OUT_OF_RANGE"
  | "STORE_CLOSED"
  /** A write for an epoch the store already pruned (below the network's retention horizon). */
  | "STORE_PRUNED";

export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
