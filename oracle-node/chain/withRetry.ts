export interface RetryOptions {
  /** Tries in all, the first included. */
  attempts: number;
  /** Wait before retry i (1-based) is `baseDelayMs * 2^(i-1)`. */
  baseDelayMs: number;
  /** Called before each wait; returning false gives up at once (e.g. the node is shutting down). */
  onRetry?: (err: unknown, attempt: number) => boolean | undefined;
}

/**
 * Runs `fn` until it resolves, up to `attempts` times with exponential backoff; rejects with the last
 * error. For chain reads that must not be lost to one RPC outage (an epoch's pinned context).
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= options.attempts || options.onRetry?.(err, attempt) === false) throw err;
      await new Promise((r) => setTimeout(r, options.baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
