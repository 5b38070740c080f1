import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { LocalAccount } from "viem";
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
  metrics?: Registry;
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
  stop(): Promise<void>;
}
