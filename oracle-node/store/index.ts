export { StoreError, type StoreErrorCode } from "./errors";
export { MIGRATIONS } from "./migrations";
export { defaultStoreOptions, type StoreOptions } from "./options";
export { Store } from "./store";
export type {
  ConsensusState,
  EpochSummary,
  LineWithProof,
  SigningDecision,
  SigningKind,
  StoredObservation,
  StoredResult,
} from "./types";
