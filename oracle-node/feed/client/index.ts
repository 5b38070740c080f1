// The feed client: fetch verified results from Vigil nodes and check them without trusting any node.

export type { DeviceLine } from "../../../contracts/lines";
export {
  createFeedClient,
  type FeedClient,
  type FeedClientOptions,
  type VerifiedDeviceLine,
  type VerifiedEpochResult,
  type VerifyOptions,
} from "./createFeedClient";
export * from "./errors";
export { readOracleSigners, verifyLineOnChain, verifyRootOnChain } from "./onChain";
export { type StreamedVerdict, streamVerdicts } from "./streamVerdicts";
export { type LineProof, verifyLineProof } from "./verifyLineProof";
export {
  defaultThreshold,
  type VerifyResultVotesParameters,
  type VotedResult,
  verifyResultVotes,
} from "./verifyResultVotes";
