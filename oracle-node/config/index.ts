export { ENV_OVERRIDES } from "./env";
export { ConfigError, type ConfigIssue } from "./errors";
export { type LoadConfigOptions, loadConfig, resolveConfig } from "./loadConfig";
export { type RenderConfigOptions, renderConfig } from "./renderConfig";
export {
  type CreConfig,
  type DeploymentAddresses,
  LOG_LEVELS,
  type NodeConfig,
  type NodeConfigFile,
  type NodeConfigInput,
  nodeConfigSchema,
} from "./schema";
export { loadTlsCredentials, type TlsCredentials } from "./tls";
