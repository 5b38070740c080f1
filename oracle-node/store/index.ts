export { StoreError, type StoreErrorCode } from "./errors";
export { createStoreMetrics, type StoreMetrics } from "./metrics";
export { MIGRATIONS } from "./migrations";
export {
  defaultRetentionOptions,
  defaultStoreOptions,
  RETENTION_EPOCHS_MAX,
  RETENTION_EPOCHS_MIN,
  type RetentionOptions,
  type StoreOptions,
} from "./options";
export { createRetention, type Retention } from "./retention";
export { FRAUD_EVIDENCE_PER_DEVICE, Store } from "./store";
export type {
  ConsensusState,
  EpochSummary,
  LineWithProof,
  PrunedTable,
  PruneResult,
  RetentionHorizon,
  SigningDecision,
  SigningKind,
  StoredFraudEvidence,
  StoredObservation,
  StoredResult,
  StoreFileBytes,
} from "./types";
