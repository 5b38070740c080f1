export type SettlementErrorCode =
  /** The forwarder has no `ConfigSet` for the configured DON id and config version. */
  | "DON_NOT_CONFIGURED"
  /** This node's Ethereum signer is not one of the forwarder's signers. */
  | "NOT_A_DON_MEMBER"
  /** A forwarder signer is not a registered operator with a peer id, so it cannot be reached. */
  | "MEMBER_NOT_REGISTERED"
  /** The settlement contract accepts no workflow this node runs for a report kind. */
  | "WORKFLOW_NOT_ACCEPTED"
  /** The configured registry is not the one the settlement contract slashes through. */
  | "REGISTRY_MISMATCH"
  /** The fraud-slashing request is malformed. */
  | "INVALID_EVIDENCE";

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
