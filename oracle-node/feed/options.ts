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
  maxStreams: 256,
  streamBuffer: 1024,
  streamKeepAliveSeconds: 15,
  title: "Vigil feed API",
  version: "1.0.0",
};
