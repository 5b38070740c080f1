export { configSetEvent } from "./configSetEvent";
export { donCommand } from "./donCommand";
export { type DonConfigProposal, donConfigProposal, isTimelock } from "./donConfigProposal";
export {
  createEquivocationReporter,
  type EquivocationReporter,
  type EquivocationReporterOptions,
  type ReportOutcome,
} from "./equivocationReporter";
export { SettlementError, type SettlementErrorCode } from "./errors";
export {
  createDonFollower,
  type DonFollower,
  type DonFollowerOptions,
} from "./followDon";
export { type DonConfigEntry, type DonMembership, resolveDon, sameDon } from "./resolveDon";
export {
  type DonConfigPlan,
  type DonConfigRequest,
  planDonConfig,
  readDonConfigs,
  readForwarderOwner,
  type SetDonConfigResult,
  setDonConfig,
} from "./setDonConfig";
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
