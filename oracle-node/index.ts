// The oracle node's public surface: start a node from a config, and the pure pieces other areas
// and third parties reuse (assignment, config loading, the CLI command).
export {
  type ApiApp,
  type ApiModules,
  type AssignmentView,
  createApiApp,
  type NodeStatus,
  serveApi,
} from "./api/index";
export {
  assignDevice,
  assignmentScore,
  assignNetwork,
  createAssigner,
  devicesForNode,
} from "./assignment/index";
export { initNode, nodeCommand } from "./cli/index";
export { ConfigError, loadConfig, type NodeConfig, renderConfig, resolveConfig } from "./config/index";
export { challengePolicy, createIntake, type Intake, type IntakeNetwork, VerifyPool } from "./intake/index";
export { createLogger, type Logger } from "./logger";
export { createNodeMetrics, type NodeMetrics } from "./metrics";
export { NODE_VERSION, type StartNodeOptions, startNode, type VigilNode } from "./node";
export { EpochLedger } from "./observation/index";
