// The feed client: fetch verified results from Vigil nodes and check them without trusting any node.

export type { DeviceLine } from "../../../contracts/portable";
export {
  computeReliability,
  RELIABILITY_WINDOW_DEFAULT,
  RELIABILITY_WINDOW_MAX,
  type Reliability,
  type ReliabilityEpoch,
  reliabilityWindow,
  SLA_UPTIME_BPS,
} from "../reliability";
export {
  type ActiveSigners,
  createActiveSigners,
  defaultSignerRefresh,
  type SignerRefreshOptions,
} from "./activeSigners";
export {
  type CheckedEpochSummary,
  type CheckedHistoryItem,
  createFeedClient,
  type DeviceHistoryEntry,
  type DeviceHistoryRange,
  type EpochExport,
  type EpochListPage,
  type ExportOptions,
  type FeedClient,
  type FeedClientOptions,
  type HistoryRangeOptions,
  MAX_HISTORY_RANGE,
  type OfflineDeviceLine,
  type OfflineEpochResult,
  type OfflineLineResult,
  type OnChainDeviceLine,
  type OnChainEpochResult,
  type OnChainLineResult,
  type Page,
  type PageOptions,
  type SignedEpochResult,
  type UnverifiedEpochSummary,
  type UnverifiedHistoryItem,
  type UnverifiedResultFields,
  type VerifiedDeviceLine,
  type VerifiedEpochResult,
  type VerifyOptions,
} from "./createFeedClient";
export * from "./errors";
export {
  type DeviceReliabilityOptions,
  getDeviceReliability,
  type VerifiedDeviceReliability,
} from "./getDeviceReliability";
export {
  readEpochResult,
  readNextEpoch,
  readOracleSigners,
  verifyLineOnChain,
  verifyRootOnChain,
} from "./onChain";
export {
  type EvidenceJudgesOnChain,
  type ReadEvidenceJudgesParameters,
  readEvidenceJudges,
} from "./readEvidenceJudges";
export { type ReadSlashOnChainParameters, readSlashOnChain, type SlashOnChain } from "./readSlashOnChain";
export { LinesRootBuilder, lineLeafBytes, TreeShapeError } from "./rebuildLinesRoot";
export {
  ProvisionalVerdictJson,
  provisionalVerdictTypes,
  ResetEventJson,
  SettledEventJson,
  SignedStreamEventJson,
  settledNoticeTypes,
  streamEventProblem,
  streamEventTypedData,
  type UnsignedStreamEvent,
  type VerifyStreamEventParameters,
} from "./streamEvents";
export { type StreamedVerdict, type StreamVerdictsOptions, streamVerdicts } from "./streamVerdicts";
export { type VerifyEpochListOnChainParameters, verifyEpochListOnChain } from "./verifyEpochListOnChain";
export { type LineProof, verifyLineProof } from "./verifyLineProof";
export {
  type CheckedVotes,
  checkResultVotes,
  defaultThreshold,
  type VerifyResultVotesParameters,
  type VotedResult,
  verifyResultVotes,
} from "./verifyResultVotes";
export { type VerifiedSlashEvidence, verifySlashEvidence } from "./verifySlashEvidence";
export { type VerifySlashesOnChainParameters, verifySlashesOnChain } from "./verifySlashesOnChain";
