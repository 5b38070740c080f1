export { type ChainClientOptions, createChainClient } from "./createChainClient";
export { type EpochTiming, epochAt, epochEnd } from "./epochClock";
export { ChainError, type ChainErrorCode } from "./errors";
export {
  type DeviceInfo,
  getNetwork,
  getNetworkDevices,
  getOperators,
  getSettlementState,
  type NetworkInfo,
  type OperatorInfo,
  peerIdFromRegistryBytes,
  STATUS,
} from "./reads";
export { loadOrCreateSignerKey, loadSignerKey } from "./signerKey";
export { type SettledEpoch, watchSettlements } from "./watchSettlements";
