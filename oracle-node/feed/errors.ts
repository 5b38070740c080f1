/** Codes the feed API answers with, in `{ error: { code, message } }` bodies. */
export const FeedErrorCode = {
  InvalidParameter: "INVALID_PARAMETER",
  EpochNotFound: "EPOCH_NOT_FOUND",
  DeviceNotFound: "DEVICE_NOT_FOUND",
  RouteNotFound: "ROUTE_NOT_FOUND",
  RateLimited: "RATE_LIMITED",
  TooManyStreams: "TOO_MANY_STREAMS",
  Internal: "INTERNAL",
} as const;
export type FeedErrorCode = (typeof FeedErrorCode)[keyof typeof FeedErrorCode];

const STATUS: Record<FeedErrorCode, 400 | 404 | 429 | 500 | 503> = {
  INVALID_PARAMETER: 400,
  EPOCH_NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 503,
  INTERNAL: 500,
};

/** An error the API turns into its JSON error body and HTTP status. */
export class FeedApiError extends Error {
  override name = "FeedApiError";
  readonly status: 400 | 404 | 429 | 500 | 503;
  constructor(
    readonly code: FeedErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}
