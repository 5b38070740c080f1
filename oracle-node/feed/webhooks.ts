import { createHmac } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import type { StreamRecord, VerdictStream } from "./verdictJournal";

export interface WebhookOptions {
  /** Receivers; each gets every event of the node's networks, in order. */
  urls: string[];
  /** Shared secret of the HMAC-SHA256 over `<timestamp>.<body>` (`x-vigil-signature`). */
  secret: string;
  /** Events waiting per receiver at most; past it the oldest is dropped (counted). */
  maxQueue: number;
  /** Further attempts per event after the first fails (network error, timeout, 408, 429, 5xx). */
  retries: number;
  /** Wait before the first retry, doubling after, at most `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Per POST. */
  timeoutMs: number;
}

// 1024 events is a few minutes of a busy network's stream: a receiver down for longer catches up by
// re-reading the feed (the stream's `reset` tells SSE readers the same). 5 retries from 500 ms
// doubling spans ~15 s, past a receiver's restart, short enough that one event does not hold the rest.
export const defaultWebhookOptions = {
  maxQueue: 1024,
  retries: 5,
  backoffMs: 500,
  maxBackoffMs: 30_000,
  timeoutMs: 5_000,
} satisfies Partial<WebhookOptions>;

export interface WebhookModules {
  stream: Pick<VerdictStream, "subscribe">;
  networks: readonly bigint[];
  logger?: Pick<Logger, "warn">;
  metrics?: Registry;
  fetch?: typeof fetch;
}

export interface WebhookSender {
  /** Resolves when every queue is empty and no delivery is in flight (tests). */
  idle(): Promise<void>;
  /** Stops taking events and aborts deliveries in flight; what is queued is dropped. */
  stop(): Promise<void>;
}

/** The header value a receiver recomputes: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * Pushes each verdict stream event to the operator's webhook receivers: POST of the signed event's
 * JSON (the same body as the SSE `data`), with `x-vigil-event` (its type), `x-vigil-event-id`
 * (`<epoch>:<seq>`, for de-duplication), `x-vigil-timestamp` (unix seconds) and `x-vigil-signature`
 * (HMAC over timestamp and body; a receiver refuses stale timestamps to stop replays). One delivery
 * at a time per receiver, so events arrive in order; retries with backoff; a bounded queue per
 * receiver drops the oldest when a receiver is down. The node's verification never waits on it.
 */
export function createWebhookSender(
  options: Partial<WebhookOptions> & Pick<WebhookOptions, "urls" | "secret">,
  modules: WebhookModules,
): WebhookSender {
  const opts: WebhookOptions = { ...defaultWebhookOptions, ...options };
  const doFetch = modules.fetch ?? fetch;
  const counter = (name: string, help: string) =>
    modules.metrics &&
    new Counter({ name, help, labelNames: ["receiver"] as const, registers: [modules.metrics] });
  // Labelled by index: a receiver URL may carry a token in its path, and metrics are not secret.
  const delivered = counter("vigil_feed_webhook_delivered_total", "Webhook events a receiver accepted (2xx)");
  const failed = counter(
    "vigil_feed_webhook_failed_total",
    "Webhook events given up after every retry, or refused by the receiver (4xx)",
  );
  const dropped = counter(
    "vigil_feed_webhook_dropped_total",
    "Webhook events dropped unsent because the receiver's queue was full (oldest first)",
  );
  const stopper = new AbortController();
  const receivers = opts.urls.map((url, index) => ({
    url,
    label: String(index),
    queue: [] as StreamRecord[],
    running: undefined as Promise<void> | undefined,
  }));

  const deliver = async (r: (typeof receivers)[number], record: StreamRecord) => {
    await pRetry(
      async () => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const response = await doFetch(r.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-vigil-event": record.type,
            "x-vigil-event-id": `${record.epoch}:${record.seq}`,
            "x-vigil-timestamp": timestamp,
            "x-vigil-signature": webhookSignature(opts.secret, timestamp, record.body),
          },
          body: record.body,
          signal: AbortSignal.any([stopper.signal, AbortSignal.timeout(opts.timeoutMs)]),
        });
        // The body is not read: a receiver's answer carries nothing for us, and it must not hold memory.
        await response.body?.cancel();
        if (response.ok) return;
        const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
        const error = new Error(`receiver ${r.label} answered ${response.status}`);
        throw retryable ? error : new AbortError(error);
      },
      {
        retries: opts.retries,
        minTimeout: opts.backoffMs,
        maxTimeout: opts.maxBackoffMs,
        factor: 2,
        signal: stopper.signal,
      },
    );
  };

  const drain = (r: (typeof receivers)[number]) => {
    if (r.running) return;
    r.running = (async () => {
      for (let record = r.queue.shift(); record && !stopper.signal.aborted; record = r.queue.shift()) {
        try {
          await deliver(r, record);
          delivered?.inc({ receiver: r.label });
        } catch (err) {
          if (stopper.signal.aborted) return;
          failed?.inc({ receiver: r.label });
          modules.logger?.warn(
            { err, receiver: r.label, seq: record.seq, type: record.type },
            "webhook event not delivered",
          );
        }
      }
    })().finally(() => {
      r.running = undefined;
      if (r.queue.length > 0 && !stopper.signal.aborted) drain(r);
    });
  };

  const unsubscribe = modules.networks.map((networkId) =>
    modules.stream.subscribe(networkId, (record) => {
      for (const r of receivers) {
        if (r.queue.length >= opts.maxQueue) {
          r.queue.shift();
          dropped?.inc({ receiver: r.label });
        }
        r.queue.push(record);
        drain(r);
      }
    }),
  );

  return {
    async idle() {
      while (receivers.some((r) => r.running || r.queue.length > 0))
        await Promise.all(receivers.map((r) => r.running));
    },
    async stop() {
      for (const u of unsubscribe) u();
      stopper.abort();
      await Promise.all(receivers.map((r) => r.running));
      for (const r of receivers) r.queue.length = 0;
    },
  };
}
