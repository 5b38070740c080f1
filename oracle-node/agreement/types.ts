// Data the agreement consumes and produces. The node app builds `EpochContext` (from the chain)
// and one `ObservationSet` per epoch (from intake and challenges); everything else is derived here.
import type { Address, Hex } from "viem";
import type { DeviceLine } from "../../contracts/lines";
import type { DeviceSlash } from "../../contracts/reports";

/** A fraud verdict carries its own evidence: any node re-verifies it before it counts. */
export interface FraudVerdict {
  /** Reason code, copied into `DeviceSlash.reason` (0..255). */
  reason: number;
  /** Evidence bundle in the attestation library's canonical encoding; `evidenceHash = keccak256(evidence)`. */
  evidence: Uint8Array;
}

/** One observer's view of one assigned device over one epoch. */
export interface DeviceObservation {
  /** bytes32: the device's raw Ed25519 public key. */
  deviceId: Hex;
  /** 0..10000. */
  uptimeBps: number;
  /** Verified work units (uint64). */
  work: bigint;
  fraud?: FraudVerdict;
}

/** What one oracle node saw in one epoch, signed at epoch close. Devices sorted by deviceId, unique. */
export interface ObservationSet {
  networkId: bigint;
  epoch: bigint;
  /** The observer's Ethereum signer address (its registered identity). */
  observer: Address;
  devices: DeviceObservation[];
}

/** A signed observation set exactly as gossiped: the canonical bytes plus the sender's peer signature. */
export interface SignedObservation {
  observation: ObservationSet;
  /** Canonical encoding (`encodeObservation`); its keccak256 is the observation hash. */
  bytes: Uint8Array;
  hash: Hex;
  /** libp2p peer id (Ed25519) of the observer, and its signature over the domain-separated bytes. */
  peerId: string;
  signature: Uint8Array;
}

export interface OracleInfo {
  /** Ethereum signer address (signs ResultVotes). */
  signer: Address;
  /** libp2p peer id string (signs gossip). */
  peerId: string;
}

export interface DeviceInfo {
  deviceId: Hex;
  owner: Address;
  /** Slash amount if fraud is proven (the device's stake at risk in the epoch). */
  stake: bigint;
  /**
   * Already slashed on chain during the epoch (the fraud-slashing workflow acts at once). Such a
   * device earns nothing this epoch and its line shows the slash, even if no fraud verdict made it
   * into the observation set. Default 0.
   */
  slashedInEpoch?: bigint;
}

/**
 * A network's uptime SLA as the settlement holds it (`VigilSettlement.uptimeSla`, read at the epoch's
 * end block): docs/interfaces.md, "Uptime SLA". `windowEpochs = 0`: no SLA.
 */
export interface UptimeSla {
  windowEpochs: number;
  bonusThresholdBps: number;
  bonusBps: number;
  penaltyThresholdBps: number;
  penaltyBps: number;
}

/**
 * The verified uptime history the SLA looks at: the lines of the settled epochs in the window before
 * this one (`oracle-node/chain/readUptimeHistory.ts` says which and checks each against the chain).
 */
export interface UptimeHistory {
  /** The settled epochs (with a result, not a timeout) the history covers. */
  epochs: readonly bigint[];
  /** deviceId (lowercase) -> the sum of its uptimeBps over those epochs and how many lines it had in them. */
  devices: ReadonlyMap<string, { sumBps: number; lines: number }>;
}

/** Everything the deterministic result depends on besides the observations. Injected by the caller. */
export interface EpochContext {
  networkId: bigint;
  epoch: bigint;
  /** EIP-712 domain of ResultVote. */
  chainId: number;
  settlement: Address;
  /** Reward budget of the epoch. */
  budget: bigint;
  /** Observers per device. */
  k: number;
  /** The oracle set, n = 3f + 1 (order does not matter; sorted by signer internally). */
  oracles: OracleInfo[];
  /** Registered devices of the network in this epoch. */
  devices: DeviceInfo[];
  /** The beacon pinned for the epoch (the settlement's beacon at the last block before its start). */
  beacon: Hex;
  /** deviceId (lowercase hex) -> the signer addresses assigned to observe it, under `beacon`. */
  assignment: ReadonlyMap<Hex, readonly Address[]>;
  /** The network's uptime SLA and the history it is judged on; absent: no SLA (as `windowEpochs = 0`). */
  uptime?: { sla: UptimeSla; history: UptimeHistory };
}

/** One Merkle leaf, in the order pinned by docs/interfaces.md (owned by contracts/lines.ts). */
export type { DeviceLine } from "../../contracts/lines";

/** A slash as the settlement report carries it (owned by contracts/reports.ts). */
export type { DeviceSlash };

/**
 * The deterministic epoch result: same observation set and context give the same bytes on every node.
 * The one declaration of an epoch result: the feed serves it without its lines and observations
 * (feed/source.ts), the settlement report encodes its header.
 */
export interface EpochResult {
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
  observationsCommitment: Hex;
  deviceCount: number;
  /** Devices with weight > 0 (docs/interfaces.md, "Reward formula"): the verification fee's basis. */
  qualifiedCount: number;
  totalReward: bigint;
  totalSlash: bigint;
  slashes: DeviceSlash[];
  /** Lines sorted by deviceId. */
  lines: DeviceLine[];
  /** Observation hashes used, sorted by observer address. */
  observations: { observer: Address; hash: Hex }[];
}

/** A ResultVote (EIP-712, docs/interfaces.md) with its signature. */
export interface ResultVote {
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
  observationsCommitment: Hex;
  signer: Address;
  signature: Hex;
}

/** 2f+1 ResultVotes on one result. */
export interface EpochCertificate {
  result: EpochResult;
  votes: ResultVote[];
}

/** Two conflicting signed messages by one signer: submit to the settlement contract's oracle slashing. */
export interface EquivocationEvidence {
  networkId: bigint;
  epoch: bigint;
  signer: Address;
  kind: "result-vote" | "observation" | "proposal" | "prevote" | "precommit";
  /** The two conflicting messages as signed (for result votes: JSON of `ResultVote`). */
  first: Uint8Array;
  second: Uint8Array;
}

/**
 * Re-verifies a fraud verdict's evidence (the attestation library provides it). Returns true only if
 * the evidence proves fraud by `deviceId`. Must be deterministic: every node must reach the same answer.
 */
export type FraudEvidenceVerifier = (
  ctx: EpochContext,
  deviceId: Hex,
  verdict: FraudVerdict,
) => boolean | Promise<boolean>;
