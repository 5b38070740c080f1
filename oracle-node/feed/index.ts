export { createFeedApp, DOCS_PATH, OPENAPI_PATH } from "./createFeedApp";
export { FeedApiError, FeedErrorCode } from "./errors";
export { DEVICE_LINE_SOURCE } from "./functions/deviceLineSource";
export {
  buildTree,
  createMemoryFeedSource,
  type MemoryFeedSource,
  type PublishedEpoch,
} from "./memorySource";
export { defaultFeedAppOptions, type FeedAppOptions, type RateLimitOptions } from "./options";
export type * from "./source";
export { createStoreFeedSource, type StoreFeedSource, type StoreFeedSourceOptions } from "./storeSource";
export { createVerdictHub, type VerdictHub } from "./verdictHub";
export {
  createMemoryRing,
  createVerdictJournal,
  defaultVerdictJournalOptions,
  type StreamRecord,
  type StreamRing,
  storeRing,
  type VerdictJournal,
  type VerdictJournalOptions,
  type VerdictStream,
} from "./verdictJournal";
export { createMemoryWebhookQueue, type WebhookDelivery, type WebhookQueue } from "./webhookQueue";
export {
  createWebhookSender,
  defaultWebhookOptions,
  forgetUnconfiguredWebhookReceivers,
  type WebhookOptions,
  type WebhookSender,
  webhookReceiverKey,
  webhookSignature,
} from "./webhooks";
