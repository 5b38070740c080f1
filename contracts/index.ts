export * from "./abi";
export { FORGE_OUT, type ForgeArtifact, loadArtifact } from "./artifacts";
export { type Deployment, deploymentSchema, loadDeployment } from "./deployment";
export {
  assertLine,
  buildLinesTree,
  type DeviceLine,
  InvalidLineError,
  LINE_LEAF_TYPES,
  type LinesTree,
  type LineValues,
  lineLeaf,
  lineProof,
  lineValues,
} from "./lines";
export {
  type DeviceSlash,
  type EpochSettlement,
  encodeEpochSettlementReport,
  encodeFraudSlashReport,
  genesisBeacon,
  nextBeacon,
  REPORT_KIND,
} from "./reports";
export { resultVoteDomain, resultVoteTypes } from "./votes";
