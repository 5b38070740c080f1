import pRetry from "p-retry";
import { NodeResponseError, NodeUnreachableError } from "./errors";
import { type FetchFeedOptions, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from "./fetchFeed";

/**
 * GETs a streamed feed path (an epoch export) from one node and returns the response once its status
 * is 200, with the body unread. Retried like `fetchFeed` (network error, timeout, 5xx, 429 after
 * `Retry-After`) until the headers arrive; `timeoutMs` bounds each attempt up to the headers only,
 * since a large body takes as long as the link needs (abort it with `signal`).
 */
export function openFeedStream(node: string, path: string, options: FetchFeedOptions): Promise<Response> {
  const retryable = (error: Error) =>
    !options.signal?.aborted &&
    (error instanceof NodeUnreachableError ||
      (error instanceof NodeResponseError &&
        (error.status >= 500 || error.status === 429) &&
        (error.retryAfterMs ?? 0) <= MAX_RETRY_AFTER_MS));
  return pRetry(() => openOnce(node, path, options), {
    retries: options.retries,
    minTimeout: options.backoffMs,
    factor: 2,
    ...(options.signal ? { signal: options.signal } : {}),
    shouldRetry: ({ error }) => retryable(error),
    onFailedAttempt: async ({ error, retryDelay, retriesLeft }) => {
      if (retriesLeft === 0 || !retryable(error) || !(error instanceof NodeResponseError)) return;
      const extra = (error.retryAfterMs ?? 0) - retryDelay;
      if (extra > 0) await sleep(extra, options.signal);
    },
  });
}

async function openOnce(node: string, path: string, options: FetchFeedOptions): Promise<Response> {
  const url = new URL(path, node.endsWith("/") ? node : `${node}/`).href;
  const headers = new AbortController();
  const timer = setTimeout(
    () => headers.abort(new Error(`no response within ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  let response: Response;
  try {
    response = await options.fetch(url, {
      signal: AbortSignal.any([headers.signal, ...(options.signal ? [options.signal] : [])]),
      headers: { accept: "application/x-ndjson", "accept-encoding": "gzip" },
    });
  } catch (cause) {
    throw new NodeUnreachableError(node, cause);
  } finally {
    clearTimeout(timer);
  }
  if (response.ok) return response;
  const text = await response.text().catch((cause: unknown) => {
    throw new NodeUnreachableError(node, cause);
  });
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  } catch {
    error = undefined;
  }
  throw new NodeResponseError(
    node,
    response.status,
    typeof error?.code === "string" ? error.code : undefined,
    typeof error?.message === "string" ? error.message : text.slice(0, 200),
    parseRetryAfter(response.headers.get("retry-after")),
  );
}
