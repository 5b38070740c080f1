import type { Address, Hex } from "viem";

export type FeedClientErrorCode =
  | "NODE_UNREACHABLE"
  | "NODE_ERROR"
  | "MALFORMED_RESPONSE"
  | "LINE_MISMATCH"
  | "TAMPERED_LINE"
  | "INVALID_PROOF"
  | "INVALID_SIGNATURE"
  | "FOREIGN_SIGNER"
  | "TOO_FEW_SIGNATURES"
  | "ROOT_MISMATCH"
  | "RESULT_MISMATCH"
  | "NOT_SETTLED_ON_CHAIN"
  | "SETTLED_MISMATCH"
  | "SLASH_MISMATCH"
  | "MISSING_EPOCHS"
  | "LINE_REJECTED_ON_CHAIN"
  | "EXPORT_MISMATCH"
  | "INVALID_EVENT"
  | "SIGNERS_UNAVAILABLE"
  | "RELIABILITY_MISMATCH"
  | "NOT_SLASHED_ON_CHAIN"
  | "EVIDENCE_MISMATCH"
  | "INVALID_EVIDENCE"
  | "LINE_WITHHELD"
  | "ALL_NODES_FAILED";

/**
 * Base of every error the client throws: `code` says which check failed, `node` which node answered
 * (when one did), `details` the values compared. Catch this class, switch on `code`.
 */
export class FeedClientError extends Error {
  override name = "FeedClientError";
  constructor(
    readonly code: FeedClientErrorCode,
    readonly shortMessage: string,
    readonly details: Record<string, unknown> = {},
    options: { cause?: unknown; node?: string } = {},
  ) {
    super(options.node ? `${shortMessage} (node ${options.node})` : shortMessage, { cause: options.cause });
    this.node = options.node;
  }
  node: string | undefined;
}

/** The node could not be reached (connection refused, DNS, timeout). */
export class NodeUnreachableError extends FeedClientError {
  override name = "NodeUnreachableError";
  constructor(node: string, cause: unknown) {
    super("NODE_UNREACHABLE", "feed node unreachable", {}, { node, cause });
  }
}

/**
 * The node answered with an HTTP error; `apiCode` is its JSON error code (e.g. `EPOCH_NOT_FOUND`),
 * `retryAfterMs` its `Retry-After` (429 `RATE_LIMITED`, 503), if it sent one.
 */
export class NodeResponseError extends FeedClientError {
  override name = "NodeResponseError";
  constructor(
    node: string,
    readonly status: number,
    readonly apiCode: string | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(
      "NODE_ERROR",
      `feed node answered ${status}${apiCode ? ` ${apiCode}` : ""}: ${message}`,
      { status, apiCode, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
      { node },
    );
  }
}

/** The body is not what the feed API documents. */
export class MalformedResponseError extends FeedClientError {
  override name = "MalformedResponseError";
  constructor(node: string, issues: string) {
    super("MALFORMED_RESPONSE", `malformed feed response: ${issues}`, { issues }, { node });
  }
}

/**
 * The active signer list could not be read again from the registry while checking a verdict stream
 * event (`cause` is the chain client's error): the event is neither accepted nor rejected, the stream ends.
 */
export class SignersUnavailableError extends FeedClientError {
  override name = "SignersUnavailableError";
  constructor(registry: string | undefined, cause: unknown) {
    const message = "could not read the active oracle signers from the registry";
    super("SIGNERS_UNAVAILABLE", message, { registry }, { cause });
  }
}

/**
 * A verdict stream event whose signature does not recover to its claimed signer, whose signer is not
 * an active registered oracle, or that belongs to another network or device than asked for.
 */
export class InvalidStreamEventError extends FeedClientError {
  override name = "InvalidStreamEventError";
  constructor(node: string, id: string | undefined, problem: string) {
    super("INVALID_EVENT", `verdict stream event ${id ?? "(no id)"}: ${problem}`, { id, problem }, { node });
  }
}

/** The node served a line (or result) of another network, epoch or device than asked for. */
export class LineMismatchError extends FeedClientError {
  override name = "LineMismatchError";
  constructor(node: string, field: string, expected: unknown, actual: unknown) {
    super(
      "LINE_MISMATCH",
      `served ${field} ${actual} instead of ${expected}`,
      { field, expected, actual },
      { node },
    );
  }
}

/** The proof leads from its leaf to the root, but the line's fields do not hash to that leaf. */
export class TamperedLineError extends FeedClientError {
  override name = "TamperedLineError";
  constructor(node: string | undefined, expectedLeaf: Hex, actualLeaf: Hex) {
    super(
      "TAMPERED_LINE",
      "device line does not hash to the proven leaf",
      { expectedLeaf, actualLeaf },
      { node },
    );
  }
}

/** The Merkle proof does not lead from the leaf to the result root. */
export class InvalidProofError extends FeedClientError {
  override name = "InvalidProofError";
  constructor(node: string | undefined, root: Hex, leaf: Hex) {
    super("INVALID_PROOF", "Merkle proof does not lead to the result root", { root, leaf }, { node });
  }
}

/** A vote's signature is unreadable or was not made by its claimed signer over this result. */
export class InvalidSignatureError extends FeedClientError {
  override name = "InvalidSignatureError";
  constructor(node: string | undefined, signer: Address, recovered: Address | undefined, cause?: unknown) {
    super(
      "INVALID_SIGNATURE",
      `vote of ${signer} is not a signature over this result`,
      { signer, recovered },
      { node, cause },
    );
  }
}

/**
 * Votes by signers the registry does not list: fatal when too few registered signers remain, or with
 * `strict` whatever the count. `valid` counts distinct registered signers only.
 */
export class ForeignSignerError extends FeedClientError {
  override name = "ForeignSignerError";
  constructor(
    node: string | undefined,
    readonly foreign: Address[],
    readonly valid: number,
    readonly required: number,
    readonly strict = false,
  ) {
    super(
      "FOREIGN_SIGNER",
      valid < required
        ? `votes signed by unregistered signers (${foreign.join(", ")}); without them only ${valid} distinct registered signers remain, ${required} required`
        : `votes signed by unregistered signers (${foreign.join(", ")}) rejected in strict mode (${valid} distinct registered signers voted, ${required} required)`,
      { foreign, valid, required, strict },
      { node },
    );
  }
}

/** Fewer than `required` (f + 1) distinct registered signers voted for the result. */
export class TooFewSignaturesError extends FeedClientError {
  override name = "TooFewSignaturesError";
  constructor(
    node: string | undefined,
    readonly valid: number,
    readonly required: number,
  ) {
    super(
      "TOO_FEW_SIGNATURES",
      `${valid} registered signers voted; ${required} required`,
      { valid, required },
      { node },
    );
  }
}

/** The root the nodes signed is not the root the settlement contract stored. */
export class RootMismatchError extends FeedClientError {
  override name = "RootMismatchError";
  constructor(node: string | undefined, servedRoot: Hex, onChainRoot: Hex) {
    super(
      "ROOT_MISMATCH",
      "result root differs from the settled root on chain",
      { servedRoot, onChainRoot },
      { node },
    );
  }
}

/** A result field the votes do not cover (totals, device count) differs from what the chain stored. */
export class ResultMismatchError extends FeedClientError {
  override name = "ResultMismatchError";
  constructor(node: string | undefined, field: string, served: unknown, onChain: unknown) {
    super(
      "RESULT_MISMATCH",
      `served ${field} ${served} differs from ${onChain} on chain`,
      { field, served, onChain },
      { node },
    );
  }
}

/** The epoch is not settled on chain yet, so there is no root to compare with. */
export class NotSettledOnChainError extends FeedClientError {
  override name = "NotSettledOnChainError";
  constructor(node: string | undefined, networkId: bigint, epoch: bigint, cause?: unknown) {
    super(
      "NOT_SETTLED_ON_CHAIN",
      `epoch ${epoch} of network ${networkId} is not settled on chain`,
      { networkId, epoch },
      { node, cause },
    );
  }
}

/** The node says an epoch is settled (or not) and the settlement contract says otherwise. */
export class SettledMismatchError extends FeedClientError {
  override name = "SettledMismatchError";
  constructor(node: string | undefined, networkId: bigint, epoch: bigint, served: boolean) {
    super(
      "SETTLED_MISMATCH",
      served
        ? `served epoch ${epoch} of network ${networkId} as settled, but the settlement contract has not settled it`
        : `served epoch ${epoch} of network ${networkId} as unsettled, but the settlement contract settled it`,
      { networkId, epoch, served },
      { node },
    );
  }
}

/**
 * The served `slashes` differ from the ones the settlement applied or skipped for the epoch
 * (`DeviceSlashApplied` / `DeviceSlashSkipped` events of its settlement transaction): one missing,
 * one added, or one whose reason or amount differs. `problem` says which, in words.
 */
export class SlashMismatchError extends FeedClientError {
  override name = "SlashMismatchError";
  constructor(
    node: string | undefined,
    readonly problem: string,
    details: Record<string, unknown>,
  ) {
    super("SLASH_MISMATCH", `slashes differ from the chain: ${problem}`, details, { node });
  }
}

/** A page of epochs leaves out epochs the settlement contract settled with a result. */
export class MissingEpochsError extends FeedClientError {
  override name = "MissingEpochsError";
  constructor(
    node: string | undefined,
    networkId: bigint,
    /** The newest missing epochs (at most 10). */
    readonly missing: bigint[],
    readonly missingCount: bigint,
    nextEpoch: bigint,
  ) {
    const more = missingCount > BigInt(missing.length) ? `, … (${missingCount} in all)` : "";
    super(
      "MISSING_EPOCHS",
      `epoch list of network ${networkId} leaves out settled epochs ${missing.join(", ")}${more} (the settlement contract's nextEpoch is ${nextEpoch})`,
      { networkId, missing, missingCount, nextEpoch },
      { node },
    );
  }
}

/** The settlement contract's `verifyLine` returned false for the line and proof. */
export class LineRejectedOnChainError extends FeedClientError {
  override name = "LineRejectedOnChainError";
  constructor(node: string | undefined, deviceId: Hex) {
    super(
      "LINE_REJECTED_ON_CHAIN",
      `settlement contract rejects the line of ${deviceId}`,
      { deviceId },
      { node },
    );
  }
}

/**
 * An epoch export does not rebuild the verified result: its rows hash to another root, there are
 * more or fewer rows than the header's `leafCount` (a truncated stream too), a row sits outside the
 * tree or on another row's leaf, or the header's counts and totals disagree with the rows.
 * `problem` says which, in words; `details` the values compared.
 */
export class ExportMismatchError extends FeedClientError {
  override name = "ExportMismatchError";
  constructor(
    node: string | undefined,
    readonly problem: string,
    details: Record<string, unknown> = {},
  ) {
    super("EXPORT_MISMATCH", `epoch export does not match its result: ${problem}`, details, { node });
  }
}

/** The settlement contract emitted no `DeviceSlashApplied` for the device in the epoch: no evidence to ask for. */
export class NotSlashedOnChainError extends FeedClientError {
  override name = "NotSlashedOnChainError";
  constructor(networkId: bigint, epoch: bigint, deviceId: Hex) {
    super(
      "NOT_SLASHED_ON_CHAIN",
      `device ${deviceId} was not slashed in epoch ${epoch} of network ${networkId} on chain (no DeviceSlashApplied)`,
      { networkId, epoch, deviceId },
    );
  }
}

/**
 * A served evidence bundle is not the one the chain names: its bytes do not hash to the
 * `evidenceHash` of the `DeviceSlashApplied` event, or the node labelled it with another hash,
 * epoch or network. `field` says which.
 */
export class EvidenceMismatchError extends FeedClientError {
  override name = "EvidenceMismatchError";
  constructor(
    node: string,
    readonly field: "evidenceHash" | "networkId" | "epoch",
    expected: unknown,
    actual: unknown,
  ) {
    super(
      "EVIDENCE_MISMATCH",
      field === "evidenceHash"
        ? `evidence bundle hashes to ${actual}, the on-chain slash names evidence ${expected}`
        : `evidence bundle served for ${field} ${actual}, expected ${expected}`,
      { field, expected, actual },
      { node },
    );
  }
}

/**
 * The bundle the chain names does not prove the slash: the attestation library's verifier refused it
 * (`reason` is its error code: a bad signature, a challenger not assigned to the device under the
 * epoch's beacon, a response that passes the challenge, ...), or it proves fraud by another device
 * or in another epoch. The chain applied the slash all the same: f + 1 oracles signed it.
 */
export class InvalidEvidenceError extends FeedClientError {
  override name = "InvalidEvidenceError";
  constructor(
    node: string | undefined,
    readonly reason: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super("INVALID_EVIDENCE", `evidence bundle does not prove the slash: ${reason}: ${message}`, details, {
      node,
    });
  }
}

/**
 * A node's device history left out a line that the epoch's verified export holds: the node withheld
 * it (`getDeviceHistoryRange` with `proveAbsence`).
 */
export class WithheldLineError extends FeedClientError {
  override name = "WithheldLineError";
  constructor(node: string, networkId: bigint, epoch: bigint, deviceId: Hex) {
    super(
      "LINE_WITHHELD",
      `history of device ${deviceId} leaves out its line in epoch ${epoch} of network ${networkId}, which the epoch's verified export holds`,
      { networkId, epoch, deviceId },
      { node },
    );
  }
}

/**
 * A node's reliability figure is not the one its verified history gives (`field`: the first figure
 * that differs, `expected` recomputed by the client, `actual` served), or its window is not the one
 * asked for, or ends more than the allowed lag before the chain's newest settled epoch.
 */
export class ReliabilityMismatchError extends FeedClientError {
  override name = "ReliabilityMismatchError";
  constructor(
    node: string,
    readonly field: string,
    expected: unknown,
    actual: unknown,
  ) {
    super(
      "RELIABILITY_MISMATCH",
      `reliability ${field} served as ${String(actual)}, the verified history gives ${String(expected)}`,
      { field, expected, actual },
      { node },
    );
  }
}

/** Every node failed; `errors` holds each node's error, in the order tried. */
export class AllNodesFailedError extends FeedClientError {
  override name = "AllNodesFailedError";
  constructor(readonly errors: FeedClientError[]) {
    super(
      "ALL_NODES_FAILED",
      `no node served a verified answer: ${errors.map((e) => `${e.node}: ${e.code}`).join("; ")}`,
      { codes: errors.map((e) => e.code) },
      { cause: errors[0] },
    );
  }
}
