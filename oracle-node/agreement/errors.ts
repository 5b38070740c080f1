export type AgreementErrorCode =
  | "AGREEMENT_BAD_OBSERVATION"
  | "AGREEMENT_BAD_MESSAGE"
  | "AGREEMENT_BAD_CONTEXT"
  | "AGREEMENT_HISTORY_MISSING"
  | "AGREEMENT_NOT_ENOUGH_OBSERVATIONS"
  | "AGREEMENT_SIGNING_CONFLICT"
  | "AGREEMENT_TIMEOUT"
  | "AGREEMENT_STOPPED";

export class AgreementError extends Error {
  override readonly name = "AgreementError";
  constructor(
    readonly code: AgreementErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
