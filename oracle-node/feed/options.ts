import type { Context } from "hono";

export interface RateLimitOptions {
  /** Requests a client may make at once (bucket size). */
  burst: number;
  /** Tokens a client regains per second. */
  perSecond: number;
  /** Clients tracked at most; the least recently seen is forgotten first, so memory stays bounded. */
  maxClients: number;
}

export interface FeedAppOptions {
  /** Per-client token bucket; `false` turns limiting off (benchmarks, a node behind its own proxy). */
  rateLimit: RateLimitOptions | false;
  /**
   * A second, tighter bucket for `GET .../export` (per client, on top of the one request it costs
   * in `rateLimit`); `false` turns it off.
   */
  exportRateLimit: RateLimitOptions | false;
  /** Exports served at once at most (each holds a socket and reads the store); more get 503. */
  maxExports: number;
  /** Largest page of `GET /v1/networks/{id}/devices` (rows are small: id and owner). */
  maxDevicePageSize: number;
  defaultDevicePageSize: number;
  /** Key a request is limited by: by default the peer address of the TCP connection. */
  clientKey?: (c: Context) => string;
  /** Largest page a list endpoint returns. */
  maxPageSize: number;
  defaultPageSize: number;
  /** Concurrent SSE streams at most (each holds a socket and a subscription). */
  maxStreams: number;
  /** Events buffered for a slow stream reader before the stream is closed. */
  streamBuffer: number;
  /** Seconds between SSE keep-alive comments, so idle proxies do not cut the stream. */
  streamKeepAliveSeconds: number;
  /** Where unexpected errors go (the node passes its child logger); they are never sent to callers. */
  logger?: { error(context: object, message: string): void };
  /** Shown in the OpenAPI document. */
  title: string;
  version: string;
}

// 20 req/s sustained with bursts of 40 is well above what a consumer polling a few devices per
// epoch needs, and low enough that one client cannot take a node's proof generation for itself.
export const defaultFeedAppOptions: FeedAppOptions = {
  rateLimit: { burst: 40, perSecond: 20, maxClients: 10_000 },
  maxPageSize: 100,
  defaultPageSize: 20,
  // An export of a 100k-device epoch is 22.8 MB (7.0 MB gzipped) and ~2.3 s of the node's time
  // (`npm run bench -- export --gzip`, docs/consumers.md): 2 at once then one a minute per client is
  // plenty to mirror every epoch, and 4 at once per node bounds what exports take from proofs and
  // agreement.
  exportRateLimit: { burst: 2, perSecond: 1 / 60, maxClients: 10_000 },
  maxExports: 4,
  maxDevicePageSize: 1000,
  defaultDevicePageSize: 100,
  maxStreams: 256,
  streamBuffer: 1024,
  streamKeepAliveSeconds: 15,
  title: "Vigil feed API",
  version: "1.0.0",
};
