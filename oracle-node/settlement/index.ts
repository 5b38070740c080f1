export {
  createEquivocationReporter,
  type EquivocationReporter,
  type EquivocationReporterOptions,
  type ReportOutcome,
} from "./equivocationReporter";
export { SettlementError, type SettlementErrorCode } from "./errors";
export { type DonMembership, readDon } from "./readDon";
export {
  createSettlementMonitor,
  type SettlementMonitor,
  type SettlementMonitorOptions,
  type SettlementState,
} from "./settlementMonitor";
export {
  type CreSettlement,
  type CreSettlementModules,
  type CreSettlementOptions,
  startCreSettlement,
  VIGIL_WORKFLOWS,
} from "./startCreSettlement";
export { tapFraudEvidence } from "./tapFraudEvidence";
