/** Codes the feed API answers with, in `{ error: { code, message } }` bodies. */
export const FeedErrorCode = {
  InvalidParameter: "INVALID_PARAMETER",
  /** A network the node does not serve (see `GET /v1/networks`). */
  NetworkNotFound: "NETWORK_NOT_FOUND",
  EpochNotFound: "EPOCH_NOT_FOUND",
  /** The node deleted the epoch under its store retention; it existed, ask the chain or an archive. */
  EpochPruned: "EPOCH_PRUNED",
  DeviceNotFound: "DEVICE_NOT_FOUND",
  /** The node holds no fraud evidence bundle with that hash for the epoch. */
  EvidenceNotFound: "EVIDENCE_NOT_FOUND",
  RouteNotFound: "ROUTE_NOT_FOUND",
  RateLimited: "RATE_LIMITED",
  TooManyStreams: "TOO_MANY_STREAMS",
  /** The node is serving its maximum of concurrent exports (`maxExports`); retry later. */
  TooManyExports: "TOO_MANY_EXPORTS",
  Internal: "INTERNAL",
} as const;
export type FeedErrorCode = (typeof FeedErrorCode)[keyof typeof FeedErrorCode];

type FeedErrorStatus = 400 | 404 | 410 | 429 | 500 | 503;

const STATUS: Record<FeedErrorCode, FeedErrorStatus> = {
  INVALID_PARAMETER: 400,
  NETWORK_NOT_FOUND: 404,
  EPOCH_NOT_FOUND: 404,
  EPOCH_PRUNED: 410,
  DEVICE_NOT_FOUND: 404,
  EVIDENCE_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 503,
  TOO_MANY_EXPORTS: 503,
  INTERNAL: 500,
};

/** An error the API turns into its JSON error body and HTTP status. */
export class FeedApiError extends Error {
  override name = "FeedApiError";
  readonly status: FeedErrorStatus;
  constructor(
    readonly code: FeedErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}
