export { SettlementError, type SettlementErrorCode } from "./errors";
export { type DonMembership, readDon } from "./readDon";
export {
  type CreSettlement,
  type CreSettlementModules,
  type CreSettlementOptions,
  startCreSettlement,
  VIGIL_WORKFLOWS,
} from "./startCreSettlement";
export { tapFraudEvidence } from "./tapFraudEvidence";
