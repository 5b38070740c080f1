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

export type { EquivocationEvidence };
