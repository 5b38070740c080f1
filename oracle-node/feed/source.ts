import type { Address, Hex } from "viem";
import type { DeviceLine } from "../../contracts/portable";
import type { EpochResult as AgreedEpochResult, DeviceSlash } from "../agreement/types";
import type { VerdictStream } from "./verdictJournal";

export type { DeviceLine, DeviceSlash };

/**
 * What the feed reads, and nothing more. The feed API is built against this interface so it does
 * not depend on how a node stores epochs: `storeSource.ts` adapts the node's SQLite store,
 * `memorySource.ts` serves epochs held in memory (tests, benchmarks, a read-only mirror).
 */
export interface FeedSource {
  /** Epochs of a network with a result, newest first; `before` is exclusive. */
  listEpochs(networkId: bigint, page: EpochPageQuery): Promise<EpochPage>;
  /** The agreed result of an epoch with the oracle votes over it, or undefined if none yet. */
  getEpochResult(networkId: bigint, epoch: bigint): Promise<EpochResult | undefined>;
  /** A device's line in an epoch's result with its Merkle proof, or undefined if it has none. */
  getDeviceLine(networkId: bigint, epoch: bigint, deviceId: Hex): Promise<DeviceLineProof | undefined>;
  /** A device's lines across epochs, newest first; `before` is exclusive. */
  getDeviceHistory(networkId: bigint, deviceId: Hex, page: EpochPageQuery): Promise<DeviceHistoryPage>;
  /** The node's signed verdict stream (live, and replay for `Last-Event-ID`); absent: the stream stays silent. */
  verdicts?: VerdictStream;
  /**
   * The networks this source serves (`GET /v1/networks`), ascending. When present, the API answers
   * 404 `NETWORK_NOT_FOUND` for any other network instead of empty pages.
   */
  listNetworks?(): Promise<bigint[]>;
  /**
   * An epoch's lines with each leaf's position in the tree (`StandardMerkleTree.dump()`'s
   * `values[i].treeIndex`), by device id ascending, read a chunk at a time so a 100k-line epoch is
   * never held whole (`GET .../export`). Throws `ExportSourceChangedError` if the stored result stops
   * being the one with `resultRoot` while it reads (a recomputed epoch), so no mixed file is served.
   */
  exportLines?(networkId: bigint, epoch: bigint, resultRoot: Hex): AsyncIterable<ExportedLine[]>;
  /** A page of the devices with a line in an epoch's result, by device id ascending (`after` exclusive). */
  listDevices?(networkId: bigint, epoch: bigint, page: DevicePageQuery): Promise<DevicePage>;
  /**
   * Where the network's history starts when the source deletes old epochs (the node's store
   * retention), so the API can tell a pruned epoch (410) from one that never had a result (404).
   * Absent or undefined: nothing was pruned.
   */
  retention?(networkId: bigint): Promise<FeedRetention | undefined>;
  /**
   * A fraud evidence bundle the node verified, by its keccak256 (the `evidenceHash` a slash names on
   * chain), or undefined if it does not hold it (`GET .../epochs/{epoch}/evidence/{evidenceHash}`).
   */
  getEvidence?(networkId: bigint, epoch: bigint, evidenceHash: Hex): Promise<FraudEvidence | undefined>;
}

/** A fraud evidence bundle in the attestation library's canonical encoding, as the node holds it. */
export interface FraudEvidence {
  networkId: bigint;
  epoch: bigint;
  deviceId: Hex;
  /** keccak256 of `bytes`. */
  evidenceHash: Hex;
  bytes: Uint8Array;
}

export interface ExportedLine {
  line: DeviceLine;
  /** Index of the line's leaf in the tree's node array (root at 0, children of i at 2i+1 and 2i+2). */
  treeIndex: number;
}

export interface DevicePageQuery {
  after?: Hex;
  limit: number;
}

export interface DevicePage {
  items: { deviceId: Hex; owner: Address }[];
  /** Cursor of the next page (pass as `after`), or null on the last page. */
  next: Hex | null;
}

/** The stored result changed (the epoch was recomputed) while its lines were being exported. */
export class ExportSourceChangedError extends Error {
  override name = "ExportSourceChangedError";
  constructor(
    readonly networkId: bigint,
    readonly epoch: bigint,
    readonly resultRoot: Hex,
  ) {
    super(`the result of epoch ${epoch} of network ${networkId} changed from ${resultRoot} during export`);
  }
}

export interface FeedRetention {
  /** Epochs below this one were deleted. */
  prunedBefore: bigint;
  /** Settled epochs the node keeps (`store.retention_epochs`), when known. */
  retentionEpochs: number | null;
}

export interface EpochPageQuery {
  /** Only epochs strictly lower than this one (the cursor of the previous page). */
  before?: bigint;
  limit: number;
}

/** One oracle's EIP-712 `ResultVote` signature over `(networkId, epoch, resultRoot, observationsCommitment)`. */
export interface ResultVoteSignature {
  signer: Address;
  signature: Hex;
}

/**
 * The agreed epoch result (agreement/types.ts, the one declaration) as the feed serves it: without its
 * lines (served one by one with proofs), with the observations behind `observationsCommitment` (the
 * settlement report carries them, and the contract pays operators by them) and the oracle votes over it.
 */
export interface EpochResult extends Omit<AgreedEpochResult, "lines"> {
  votes: ResultVoteSignature[];
  /** True once the settlement contract stored the root. */
  settled: boolean;
}

export type EpochSummary = Omit<EpochResult, "slashes" | "votes" | "observationsCommitment" | "observations">;

export interface EpochPage {
  items: EpochSummary[];
  /** Cursor of the next page (pass as `before`), or null on the last page. */
  next: bigint | null;
}

export interface DeviceLineProof {
  line: DeviceLine;
  /** The leaf hash the proof starts from. */
  leaf: Hex;
  proof: Hex[];
  result: Omit<EpochResult, "slashes">;
}

export interface DeviceHistoryItem {
  line: DeviceLine;
  /** The leaf hash the proof starts from, and the proof up to `resultRoot`. */
  leaf: Hex;
  proof: Hex[];
  resultRoot: Hex;
  settled: boolean;
}

export interface DeviceHistoryPage {
  items: DeviceHistoryItem[];
  next: bigint | null;
}

/** A device's verdict during an epoch; `provisional` until the epoch's result settles. */
export interface DeviceVerdict {
  type: "verdict";
  networkId: bigint;
  epoch: bigint;
  deviceId: Hex;
  uptimeBps: number;
  work: bigint;
  /** Non-zero when the node holds fraud evidence against the device. */
  slash: bigint;
  provisional: boolean;
}

/** The epoch settled on chain: its verdicts are final and its lines can be fetched with proofs. */
export interface EpochSettledEvent {
  type: "settled";
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
}

export type VerdictEvent = DeviceVerdict | EpochSettledEvent;
