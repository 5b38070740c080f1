import type { Address, Hex } from "viem";
import type { DeviceLine, DeviceSlash, EquivocationEvidence, ResultVote } from "../agreement/types";

export type SigningKind = "proposal" | "prevote" | "precommit" | "result-vote";

export interface SigningDecision {
  networkId: bigint;
  epoch: bigint;
  kind: SigningKind;
  /** -1 for epoch-scoped decisions (result-vote). */
  view: number;
  value: string;
}

export interface ConsensusState {
  networkId: bigint;
  epoch: bigint;
  view: number;
  lockedValue: string | null;
  lockedView: number;
  validValue: string | null;
  validView: number;
}

export interface StoredObservation {
  networkId: bigint;
  epoch: bigint;
  observer: Address;
  hash: Hex;
  peerId: string;
  bytes: Uint8Array;
  envelope: Uint8Array;
}

export interface EpochSummary {
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
  observationsCommitment: Hex;
  deviceCount: number;
  qualifiedCount: number;
  totalReward: bigint;
  totalSlash: bigint;
  certified: boolean;
}

export interface StoredResult extends EpochSummary {
  slashes: DeviceSlash[];
  observations: { observer: Address; hash: Hex }[];
  votes: ResultVote[];
}

export interface LineWithProof {
  line: DeviceLine;
  /** OpenZeppelin MerkleProof siblings, leaf to root. */
  proof: Hex[];
  resultRoot: Hex;
}

/** Tables `Store.prune` deletes epochs from (equivocation evidence is kept: see the module doc). */
export type PrunedTable =
  | "observations"
  | "results"
  | "lines"
  | "votes"
  | "signing_decisions"
  | "consensus_state"
  | "fraud_evidence";

/** A fraud evidence bundle this node verified (`Store.saveFraudEvidence`). */
export interface StoredFraudEvidence {
  networkId: bigint;
  epoch: bigint;
  deviceId: Hex;
  /** keccak256 of `bytes`: the `evidenceHash` a slash names on chain. */
  evidenceHash: Hex;
  bytes: Uint8Array;
}

/** What one `Store.prune` removed. */
export interface PruneResult {
  networkId: bigint;
  /** Every epoch below this one is gone now. */
  beforeEpoch: bigint;
  /** Rows deleted per table. */
  rows: Record<PrunedTable, number>;
  total: number;
  /** Bytes handed back to the file system by incremental vacuum (0 when the free pages are kept for reuse). */
  releasedBytes: number;
}

/** Where a network's history starts after pruning. */
export interface RetentionHorizon {
  networkId: bigint;
  /** Epochs below this one were deleted. */
  prunedBefore: bigint;
  /** The `store.retention_epochs` that pruned them; null when the caller did not say. */
  retentionEpochs: number | null;
}

/** Bytes the store takes on disk: the database file and its write-ahead log. */
export interface StoreFileBytes {
  main: number;
  wal: number;
}

export type { EquivocationEvidence };
