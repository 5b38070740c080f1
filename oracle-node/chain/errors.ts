export type ChainErrorCode =
  | "CHAIN_ID_MISMATCH"
  | "CHAIN_UNKNOWN_NETWORK"
  | "CHAIN_NO_BLOCK"
  | "CHAIN_BAD_KEY_FILE"
  | "CHAIN_BAD_PEER_ID";

export class ChainError extends Error {
  override name = "ChainError";
  constructor(
    readonly code: ChainErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
