export {
  type ComputedResult,
  computeResult,
  judgeUptime,
  observationsCommitment,
  type SlaOutcome,
} from "./computeResult";
export { createAgreement } from "./createAgreement";
export { AgreementError, type AgreementErrorCode } from "./errors";
export type { Agreement, AgreementModules } from "./interface";
export { buildLinesTreeNodes, type LinesTreeNodes, treeNodeHex, treeNodesFromHex } from "./linesTree";
export { decodeMessage, encodeMessage } from "./messages";
export { decodeObservation, encodeObservation, observationHash } from "./observationCodec";
export { type AgreementOptions, defaultAgreementOptions } from "./options";
export { openObservations, type ReplayOutcome, replayEpoch } from "./replayEpoch";
export { recoverResultVoteSigner, signResultVote } from "./resultVote";
export type {
  DeviceInfo,
  DeviceLine,
  DeviceObservation,
  DeviceSlash,
  EpochCertificate,
  EpochContext,
  EpochResult,
  EquivocationEvidence,
  FraudEvidenceVerifier,
  FraudVerdict,
  ObservationSet,
  OracleInfo,
  ResultVote,
  SignedObservation,
  UptimeHistory,
  UptimeSla,
} from "./types";
export { uptimeHistory } from "./uptimeHistory";
