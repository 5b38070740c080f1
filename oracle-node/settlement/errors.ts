export type SettlementErrorCode =
  /** The forwarder has no (uncleared) `ConfigSet` for the DON id (and the pinned config version). */
  | "DON_NOT_CONFIGURED"
  /** This node cannot take part in the DON now: not a forwarder signer, not an active operator, or below quorum. */
  | "NOT_A_DON_MEMBER"
  /** The settlement contract accepts no workflow this node runs for a report kind. */
  | "WORKFLOW_NOT_ACCEPTED"
  /** The configured registry is not the one the settlement contract slashes through. */
  | "REGISTRY_MISMATCH"
  /** The fraud-slashing request is malformed. */
  | "INVALID_EVIDENCE"
  /** An equivocation commit (`commitEquivocation`) was mined but reverted. */
  | "COMMIT_REVERTED"
  /** No block after an equivocation commit's block came within the reporter's bound, so no reveal. */
  | "REVEAL_TIMEOUT";

/** Errors of the node's on-chain settlement wiring; `code` tells configuration from chain state. */
export class SettlementError extends Error {
  constructor(
    readonly code: SettlementErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SettlementError";
  }
}
