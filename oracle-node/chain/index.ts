export { type ChainClientOptions, createChainClient } from "./createChainClient";
export { type EpochTiming, epochAt, epochEnd } from "./epochClock";
export { ChainError, type ChainErrorCode } from "./errors";
export { lastBlockBefore } from "./lastBlockBefore";
export { genesisBeacon, readEpochBeacon } from "./readEpochBeacon";
export { readEpochEmission } from "./readEpochEmission";
export { type EpochChainState, readEpochState } from "./readEpochState";
export {
  type DeviceInfo,
  type DeviceStorageInfo,
  getDevice,
  getDeviceStorage,
  getNetwork,
  getNetworkDeviceStorage,
  getNetworkDevices,
  getOperators,
  getSettlementState,
  type NetworkInfo,
  type OperatorInfo,
  peerIdFromRegistryBytes,
  type ReadAt,
  STATUS,
} from "./reads";
export { readUptimeWindow, type UptimeWindow } from "./readUptimeWindow";
export { loadOrCreateSignerKey, loadSignerKey } from "./signerKey";
export { type SettledEpoch, watchSettlements } from "./watchSettlements";
export { type RetryOptions, withRetry } from "./withRetry";
