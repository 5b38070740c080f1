export { createChainView } from "./createChainView";
export { ChainViewError, type ChainViewErrorCode } from "./errors";
export type { ChainView, ChainViewModules, SettlementState } from "./interface";
export { type ChainViewMetrics, createChainViewMetrics } from "./metrics";
export { type ChainViewOptions, defaultChainViewOptions } from "./options";
export { type Touched, touchedBy } from "./touchedBy";
