// The CRE host: runs Chainlink CRE TypeScript workflows inside the oracle node. The node's
// composition root bundles a workflow, builds the node's capabilities and a DON transport, creates
// a host, fires triggers (cron ticks, HTTP payloads, EVM logs) and stops it. See docs/cre.md.
export { bundleWorkflow, type WorkflowBundle } from "./bundle";
export { donConfigDigest } from "./capabilities/consensus";
export { forwarderAbi, type WriteRecord } from "./capabilities/evm";
export type { Capability, CapabilityCallContext } from "./capabilities/types";
export { type CheckBroadcastOptions, checkBroadcast } from "./checkBroadcast";
export { runWorkflowCli, type WorkflowCliIo, workflowCommand } from "./cli";
export { DonConsensus, roundLeader } from "./consensus";
export { parseCron, startCronTriggers } from "./cron";
export { CreHostError, type CreHostErrorCode } from "./errors";
export type { SecretsProvider } from "./execution";
export {
  type CreHost,
  type CreHostOptions,
  createCreHost,
  type DonConfig,
  type ExecutionOutcome,
  type Subscription,
} from "./host";
export {
  CRE_TOPIC_KIND,
  CRE_TOPIC_LIMITS,
  createLibp2pDonRouter,
  createLibp2pDonTransport,
  type Libp2pDonRouter,
} from "./libp2pTransport";
export { type LocalDon, type LocalDonOptions, startLocalDon } from "./localDon";
export { type LogTriggerOptions, logFilterMismatch, startLogTriggers } from "./logTriggers";
export { type CreHostMetrics, createCreHostMetrics } from "./metrics";
export {
  createNodeCapabilities,
  type NodeCapabilitiesOptions,
  type NodeChainConfig,
} from "./nodeCapabilities";
export { type CreLimits, defaultLimits, noLimits, simulatorLimits } from "./options";
export {
  computeExecutionId,
  computeWorkflowId,
  decodeRawReport,
  encodeReportMetadata,
  REPORT_METADATA_LENGTH,
  type ReportMetadata,
  reportDigest,
  workflowNameToBytes10,
} from "./report";
export { nodeSecrets } from "./secrets";
export {
  type SimulatedWrite,
  type SimulateOptions,
  type SimulateResult,
  simulateWorkflow,
  writeFailed,
} from "./simulate";
export { createInProcessDon, type DonMessage, type DonTransport } from "./transport";
export {
  parseDotEnv,
  readSecretsYaml,
  readWorkflowTargets,
  readWorkflowYaml,
  type WorkflowTarget,
} from "./workflowProject";
