export { createFeedApp, DOCS_PATH, type FeedApp, OPENAPI_PATH } from "./createFeedApp";
export { DEVICE_LINE_LEAF_TYPES, deviceLineValues, hashDeviceLine } from "./deviceLine";
export { FeedApiError, FeedErrorCode } from "./errors";
export {
  buildDeviceLineTree,
  createMemoryFeedSource,
  type MemoryFeedSource,
  type PublishedEpoch,
} from "./memorySource";
export { defaultFeedAppOptions, type FeedAppOptions, type RateLimitOptions } from "./options";
export { RESULT_VOTE_TYPES, resultVoteDomain } from "./resultVote";
export type * from "./source";
