export type P2PErrorCode =
  | "P2P_UNKNOWN_TOPIC"
  | "P2P_MESSAGE_TOO_LARGE"
  | "P2P_ALREADY_SUBSCRIBED"
  | "P2P_BAD_ENVELOPE"
  | "P2P_BAD_KEY_FILE"
  | "P2P_BAD_OPTIONS"
  | "P2P_STOPPED";

export class P2PError extends Error {
  override readonly name = "P2PError";
  constructor(
    readonly code: P2PErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
