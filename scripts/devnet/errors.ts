export type DevnetErrorCode =
  | "INVALID_OPTIONS"
  | "STAGE_FAILED"
  | "PROCESS_EXITED"
  | "STARTUP_STALLED"
  | "RESUME_WITHOUT_STATE"
  | "NOT_SETTLED"
  | "CHECK_FAILED";

/** Every failure the devnet reports carries a code and the stage or context it came from. */
export class DevnetError extends Error {
  override readonly name = "DevnetError";
  constructor(
    readonly code: DevnetErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
