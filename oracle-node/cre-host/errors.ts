/** Error codes the CRE host raises; each names one way a workflow or the DON can fail. */
export type CreHostErrorCode =
  | "BUNDLE_FAILED"
  | "EXECUTION_TIMEOUT"
  | "RESPONSE_TOO_LARGE"
  | "REPORT_TOO_LARGE"
  | "CAPABILITY_NOT_FOUND"
  | "CAPABILITY_FAILED"
  | "CONSENSUS_TIMEOUT"
  | "CONSENSUS_FAILED"
  | "INVALID_TRIGGER"
  | "INVALID_CONFIG"
  | "NO_RESPONSE"
  | "HOST_STOPPED"
  | "WORKER_CRASHED"
  | "BROADCAST_REFUSED";

/** The one error type of `oracle-node/cre-host`: a code, a short message, and context for logs. */
export class CreHostError extends Error {
  override readonly name = "CreHostError";
  readonly code: CreHostErrorCode;
  readonly context: Record<string, unknown>;

  constructor(
    code: CreHostErrorCode,
    message: string,
    context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.context = context;
  }
}
