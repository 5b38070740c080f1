import pRetry from "p-retry";
import type { z } from "zod";
import { MalformedResponseError, NodeResponseError, NodeUnreachableError } from "./errors";

export interface FetchFeedOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Further attempts after a failure worth retrying (network error, timeout, 5xx, 429). */
  retries: number;
  /** Delay before the first retry; doubles with each further one. */
  backoffMs: number;
  fetch: typeof fetch;
  signal?: AbortSignal;
}

/**
 * The longest `Retry-After` the client waits for: a node that asks for more is left for the next node
 * rather than holding the caller (the feed API's rate limit refills in well under a second).
 */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * GETs one feed path from one node and validates the body; every failure is a typed client error.
 * A GET is idempotent, so a network error, a timeout, a 5xx or a 429 is retried (after `Retry-After`
 * when the node sends one); an answer that arrived but is wrong is not: retrying cannot fix it.
 */
export function fetchFeed<S extends z.ZodType>(
  node: string,
  path: string,
  schema: S,
  options: FetchFeedOptions,
): Promise<z.infer<S>> {
  const retryable = (error: Error) =>
    !options.signal?.aborted &&
    (error instanceof NodeUnreachableError ||
      (error instanceof NodeResponseError &&
        (error.status >= 500 || error.status === 429) &&
        (error.retryAfterMs ?? 0) <= MAX_RETRY_AFTER_MS));
  return pRetry(() => fetchOnce(node, path, schema, options), {
    retries: options.retries,
    minTimeout: options.backoffMs,
    factor: 2,
    ...(options.signal ? { signal: options.signal } : {}),
    shouldRetry: ({ error }) => retryable(error),
    // Called before the backoff delay: wait out the rest of what the node asked for.
    onFailedAttempt: async ({ error, retryDelay, retriesLeft }) => {
      if (retriesLeft === 0 || !retryable(error) || !(error instanceof NodeResponseError)) return;
      const extra = (error.retryAfterMs ?? 0) - retryDelay;
      if (extra > 0) await sleep(extra, options.signal);
    },
  });
}

async function fetchOnce<S extends z.ZodType>(
  node: string,
  path: string,
  schema: S,
  options: FetchFeedOptions,
): Promise<z.infer<S>> {
  const url = new URL(path, node.endsWith("/") ? node : `${node}/`).href;
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(url, {
      signal: AbortSignal.any(signals),
      headers: { accept: "application/json" },
    });
    text = await response.text();
  } catch (cause) {
    throw new NodeUnreachableError(node, cause);
  }
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    if (!response.ok)
      throw new NodeResponseError(node, response.status, undefined, text.slice(0, 200), retryAfterMs);
    throw new MalformedResponseError(node, "body is not JSON");
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new NodeResponseError(
      node,
      response.status,
      typeof error?.code === "string" ? error.code : undefined,
      typeof error?.message === "string" ? error.message : text.slice(0, 200),
      retryAfterMs,
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new MalformedResponseError(
      node,
      parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    );
  return parsed.data;
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
