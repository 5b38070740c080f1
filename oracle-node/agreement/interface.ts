import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Address, LocalAccount } from "viem";
import type { P2P } from "../p2p/interface";
import type { Store } from "../store/store";
import type {
  EpochCertificate,
  EpochContext,
  EquivocationEvidence,
  FraudEvidenceVerifier,
  ObservationSet,
} from "./types";

export interface AgreementModules {
  p2p: P2P;
  store: Store;
  logger: Logger;
  /** The operator's Ethereum signer (registered on chain); signs ResultVotes. */
  account: LocalAccount;
  /** Re-verifies fraud evidence (attestation library). */
  verifyFraud: FraudEvidenceVerifier;
  /**
   * This node's own clock: the epoch `networkId` is in now. Only called for served networks
   * (`AgreementOptions.networks`); gossip for epochs off this clock's window is never stored.
   */
  currentEpoch(networkId: bigint): bigint;
  /**
   * The Ethereum signer registered with a libp2p peer id (the registry as last read), undefined if
   * none. An observation is stored only if it names its sender's signer, also for an epoch whose
   * agreement has not started (no `EpochContext` yet).
   */
  signerOf(peerId: string): Address | undefined;
  metrics?: Registry;
}

/** What the agreement holds in memory from gossip, for metrics and tests. */
export interface AgreementStats {
  /** Envelope bytes of agreement messages buffered for epochs not started yet. */
  bufferedBytes: number;
  bufferedMessages: number;
  /** The largest of those buffers, per sending peer (bounded by `bufferBytesPerPeer`). */
  maxPeerBufferedBytes: number;
  /**
   * Bytes kept by running epochs from others' messages: envelopes of the kept views' proposals,
   * prevotes and precommits, plus ~150 B per passed view's precommit and per value ref.
   */
  retainedBytes: number;
  /** Views with state kept, over all running epochs. */
  viewsKept: number;
  /** Epochs running. */
  epochs: number;
}

export interface Agreement {
  /**
   * At epoch close: signs and gossips `own` (this node's observation set), then runs consensus with
   * the other oracles until 2f+1 ResultVotes certify one result. Safe to call again after a restart:
   * it resumes from the store and never signs anything conflicting with what it signed before.
   */
  runEpoch(ctx: EpochContext, own: ObservationSet): Promise<EpochCertificate>;
  /** Equivocation evidence seen so far (also in the store). */
  equivocations(filter?: { networkId?: bigint; epoch?: bigint }): EquivocationEvidence[];
  /** Memory held from gossip now (also exported as metrics). */
  stats(): AgreementStats;
  stop(): Promise<void>;
}
