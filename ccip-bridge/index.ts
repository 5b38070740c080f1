// The CCIP bridge's public surface: other areas (devnet, node, tests) import from here only.
export { type BridgeCommandOptions, bridgeCommand } from "./cli.js";
export {
  getTransferStatus,
  type TransferState,
  type TransferStatus,
  type WaitForDeliveryOptions,
  waitForDelivery,
} from "./client/getTransferStatus.js";
export { type SendTransferOptions, type SentTransfer, sendTransfer } from "./client/sendTransfer.js";
export type { ChainClients } from "./deploy.js";
export { BridgeError, type BridgeErrorCode } from "./errors.js";
export { chainClients, laneChain } from "./lane/clients.js";
export {
  type DeployLaneChainOptions,
  deployLaneChain,
  type LaneChainContracts,
} from "./lane/deployLaneChain.js";
export {
  type LaneChain,
  type LaneConfig,
  laneConfigSchema,
  laneEnds,
  parseLaneConfig,
  readLaneConfig,
  writeLaneConfig,
} from "./lane/laneConfig.js";
export {
  ANVIL_DEPLOYER_KEY,
  ANVIL_RELAYER_KEY,
  type LocalLane,
  type StartLocalLaneOptions,
  startLocalLane,
} from "./lane/startLocalLane.js";
export { CCIP_TESTNETS, type CcipNetwork, type CcipNetworkName, ccipNetwork } from "./networks.js";
export type { LaneMessage } from "./relayer/relayerStore.js";
export {
  type Relayer,
  type RelayerOptions,
  type RelayerStats,
  startRelayer,
} from "./relayer/startRelayer.js";
export {
  type CrossChainSide,
  type CrossChainTokenSetup,
  type RateLimit,
  type SetupCrossChainTokenOptions,
  setupCrossChainToken,
} from "./setup/setupCrossChainToken.js";
