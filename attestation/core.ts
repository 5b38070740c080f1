// Everything in the library that does not depend on which Ed25519 implementation verifies:
// shared by the fast path (index.ts, node:crypto) and the portable path (portable.ts, noble).

export { type AssignableOracle, assignedOracles, challengerKeyOfPeerId } from "./assignment";
export { bytesToHex, equalBytes, hexToBytes } from "./bytes";
export { bandwidthPayload, bandwidthReceipt, payloadHash, summarizeLatency } from "./challenges/bandwidth";
export {
  Challenger,
  type ChallengerOptions,
  defaultDeadlineMs,
  type IssueInput,
  type IssueParams,
  paramsFor,
} from "./challenges/challenger";
export {
  type ComputeResult,
  computeSampleIndices,
  computeSeed,
  judgeCompute,
  matrixB,
  matrixRowA,
  openRows,
  proveCompute,
  rowLeaf,
} from "./challenges/compute";
export {
  type Exchange,
  type Judgement,
  judgeExchange,
  STORAGE_BYTES_PER_UNIT,
  workUnitsOf,
} from "./challenges/judge";
export { sampleIndices } from "./challenges/sample";
export {
  buildStorage,
  chunkLeaf,
  judgeStorage,
  openChunks,
  type StorageSet,
  type StorageTarget,
  storageChunk,
  storageSampleIndices,
} from "./challenges/storage";
export {
  ChallengeType,
  type ChallengeTypeName,
  COMPUTE_MODULUS,
  COMPUTE_SAMPLES,
  computeSize,
  HEADER_BYTES,
  MAX_COMPUTE_CLASS,
  MAX_MESSAGE_BYTES,
  MessageKind,
  type MessageKindName,
  VERSION,
} from "./constants";
export type { Ed25519Verify, Signer } from "./crypto/ed25519";
export {
  answerBandwidth,
  answerLatency,
  answerStorage,
  type ChallengeExpect,
  type ComputeWork,
  checkChallenge,
  checkChallenger,
  checkStorageTarget,
  type DeviceBehaviour,
  finishCompute,
  MAX_DEADLINE_AHEAD_MS,
  startCompute,
} from "./device";
export { AttestationError, type AttestationErrorCode, type Result } from "./errors";
export {
  buildEvidence,
  type EvidenceExpect,
  type EvidenceInput,
  type EvidenceJudges,
  hex,
  type JudgesOf,
  type ProvenFraud,
  verifyEvidence,
} from "./evidence";
export {
  decodeGatewayRecord,
  GATEWAY_ANNOUNCE_MS,
  GATEWAY_RECORD_MAX_AGE_MS,
  GATEWAY_RECORD_MAX_AHEAD_MS,
  type GatewayRecord,
  type GatewayRecordExpect,
  gatewayUrlProblem,
  MAX_GATEWAY_RECORD_BYTES,
  MAX_GATEWAY_URLS,
  signGatewayRecord,
  verifyGatewayRecord,
} from "./gatewayRecord";
export { challengeIdOf, evidenceHashOf, keccak256 } from "./hash";
export { createHeartbeatVerifier, type HeartbeatVerifier, type HeartbeatVerifierOptions } from "./heartbeat";
export { merkleLevels, merkleProof, merkleRoot, verifyMerkleProof } from "./merkle";
export type { Capabilities } from "./messages/capabilities";
export type { ChallengeBody, ChallengeParams } from "./messages/challenge";
export type { CommitBody } from "./messages/commit";
export { type EvidenceBody, FraudReason, type FraudReasonName } from "./messages/evidence";
export {
  HEARTBEAT_TICKET_BYTES,
  HEARTBEAT_TICKET_OFFSET,
  HEARTBEAT_TIME_OFFSET,
  type HeartbeatBody,
  isNoTicket,
  noTicket,
} from "./messages/heartbeat";
export { decodeMessage, type Expect, type Message, verifyMessage } from "./messages/message";
export type { RegistrationBody } from "./messages/registration";
export type { OpenedChunk, OpenedRow, ResponseBody } from "./messages/response";
export { type MessageContext, signMessage } from "./messages/sign";
export {
  type ChallengePolicy,
  type ChallengeRound,
  challengeDeadlineMs,
  challengePolicy,
  challengeRounds,
  creditUnits,
  ROUND_CLOCK_SLACK_MS,
  ROUND_LATE_MS,
  ROUND_PHASE_MAX_MS,
  RoundGuard,
} from "./policy/index";
export { isSlashable, type Verdict, type VerdictStatus } from "./verdict";
