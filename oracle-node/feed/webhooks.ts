import { createHash, createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pRetry, { AbortError } from "p-retry";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import type { VerdictStream } from "./verdictJournal";
import { createMemoryWebhookQueue, type WebhookDelivery, type WebhookQueue } from "./webhookQueue";

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
  /**
   * Where pending deliveries live: the node's `Store` (they survive a restart and are resumed at
   * start), or memory by default (lost on restart).
   */
  queue?: WebhookQueue;
  logger?: Pick<Logger, "warn" | "info">;
  metrics?: Registry;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface WebhookSender {
  /** Resolves when no delivery is in flight or waiting for its retry (tests). */
  idle(): Promise<void>;
  /** Stops taking events and aborts deliveries in flight; what is queued stays in the queue for the next start. */
  stop(): Promise<void>;
}

/** How a receiver is keyed in the queue: the sha256 of its URL, which may carry a token the store should not. */
export function webhookReceiverKey(url: string): string {
  return createHash("sha256").update(url).digest("hex");
}

/** The header value a receiver recomputes: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/**
 * Deletes the queues (and dropped counters) of receivers that are no longer among `urls`, logging
 * each with the deliveries it loses. The sender does it at start; a node with no receivers left
 * calls it itself.
 */
export function forgetUnconfiguredWebhookReceivers(
  queue: WebhookQueue,
  urls: readonly string[],
  logger?: Pick<Logger, "warn">,
): void {
  const keys = new Set(urls.map(webhookReceiverKey));
  for (const held of queue.webhookReceivers()) {
    if (keys.has(held.receiver)) continue;
    const deleted = queue.forgetWebhookReceiver(held.receiver);
    logger?.warn(
      { receiver: held.receiver.slice(0, 16), deliveries: deleted, dropped: held.dropped.toString() },
      "webhook receiver no longer configured: its pending deliveries are deleted",
    );
  }
}

/**
 * Pushes each verdict stream event to the operator's webhook receivers: POST of the signed event's
 * JSON (the same body as the SSE `data`), with `x-vigil-event` (its type), `x-vigil-event-id`
 * (`<epoch>:<seq>`, for de-duplication), `x-vigil-timestamp` (unix seconds) and `x-vigil-signature`
 * (HMAC over timestamp and body; a receiver refuses stale timestamps to stop replays). One delivery
 * at a time per receiver, so events arrive in order; retries with backoff; a bounded queue per
 * receiver drops the oldest when a receiver is down. The node's verification never waits on it.
 *
 * With the store as `queue`, each delivery is written before its first attempt, its failed attempts
 * and next attempt time are recorded, and it is deleted on a 2xx (or when refused or out of
 * retries); at start the sender deletes the queues of receivers no longer configured and resumes the
 * others. Delivery is at-least-once: an event whose 2xx arrived but whose delete did not commit
 * (a crash), or whose request was cut by `stop()` after the receiver took it, is posted again after
 * the restart. Receivers drop repeats by `x-vigil-event-id`.
 */
export function createWebhookSender(
  options: Partial<WebhookOptions> & Pick<WebhookOptions, "urls" | "secret">,
  modules: WebhookModules,
): WebhookSender {
  const opts: WebhookOptions = { ...defaultWebhookOptions, ...options };
  const doFetch = modules.fetch ?? fetch;
  const now = modules.now ?? Date.now;
  const queue = modules.queue ?? createMemoryWebhookQueue();
  const counter = (name: string, help: string) =>
    modules.metrics &&
    new Counter({ name, help, labelNames: ["receiver"] as const, registers: [modules.metrics] });
  // Labelled by index: a receiver URL may carry a token in its path, and metrics are not secret.
  const delivered = counter("vigil_feed_webhook_delivered_total", "Webhook events a receiver accepted (2xx)");
  const failed = counter(
    "vigil_feed_webhook_failed_total",
    "Webhook events given up after every retry, or refused by the receiver (4xx), or not queued",
  );
  const dropped = counter(
    "vigil_feed_webhook_dropped_total",
    "Webhook events dropped unsent because the receiver's queue was full (oldest first); kept in the store across restarts",
  );
  const stopper = new AbortController();
  // One receiver per URL: the same URL listed twice would get each event twice, concurrently.
  const byKey = new Map(opts.urls.map((url, index) => [webhookReceiverKey(url), { url, index }]));
  const receivers = [...byKey].map(([key, { url, index }]) => ({
    url,
    key,
    label: String(index),
    running: undefined as Promise<void> | undefined,
  }));
  const keys = receivers.map((r) => r.key);

  forgetUnconfiguredWebhookReceivers(queue, opts.urls, modules.logger);
  for (const held of queue.webhookReceivers()) {
    const r = receivers.find((x) => x.key === held.receiver);
    if (!r) continue;
    if (held.dropped > 0n) dropped?.inc({ receiver: r.label }, Number(held.dropped));
    if (held.pending > 0)
      modules.logger?.info({ receiver: r.label, pending: held.pending }, "resuming webhook deliveries");
  }

  const post = async (r: (typeof receivers)[number], d: WebhookDelivery) => {
    const timestamp = String(Math.floor(now() / 1000));
    const response = await doFetch(r.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-vigil-event": d.type,
        "x-vigil-event-id": d.eventId,
        "x-vigil-timestamp": timestamp,
        "x-vigil-signature": webhookSignature(opts.secret, timestamp, d.body),
      },
      body: d.body,
      signal: AbortSignal.any([stopper.signal, AbortSignal.timeout(opts.timeoutMs)]),
    });
    // The body is not read: a receiver's answer carries nothing for us, and it must not hold memory.
    await response.body?.cancel();
    if (response.ok) return;
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    const error = new Error(`receiver ${r.label} answered ${response.status}`);
    throw retryable ? error : new AbortError(error);
  };

  const gone = new Error("dropped from the full queue while retrying");
  // Resumes the delivery where its recorded attempts left off: the remaining retries, and the backoff
  // p-retry would have reached (its delay is minTimeout * 2^(retries used)).
  const deliver = (r: (typeof receivers)[number], d: WebhookDelivery) =>
    pRetry(() => post(r, d), {
      retries: Math.max(0, opts.retries - d.attempts),
      minTimeout: Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** d.attempts),
      maxTimeout: opts.maxBackoffMs,
      factor: 2,
      signal: stopper.signal,
      onFailedAttempt: ({ attemptNumber, retriesLeft, retryDelay }) => {
        if (retriesLeft === 0 || stopper.signal.aborted) return;
        if (!queue.webhookAttemptFailed(r.key, d.seq, d.attempts + attemptNumber, now() + retryDelay))
          throw gone;
      },
    });

  const drain = (r: (typeof receivers)[number]) => {
    if (r.running) return;
    r.running = (async () => {
      for (let d = queue.nextWebhookDelivery(r.key); d && !stopper.signal.aborted; ) {
        const wait = d.nextAttemptAt - now();
        if (wait > 0) {
          try {
            await sleep(wait, undefined, { signal: stopper.signal });
          } catch (err) {
            if (stopper.signal.aborted) return;
            throw err;
          }
        }
        try {
          await deliver(r, d);
          queue.removeWebhookDelivery(r.key, d.seq);
          delivered?.inc({ receiver: r.label });
        } catch (err) {
          // Stopped: the delivery stays queued and is resumed at the next start.
          if (stopper.signal.aborted) return;
          if (err !== gone) {
            queue.removeWebhookDelivery(r.key, d.seq);
            failed?.inc({ receiver: r.label });
            modules.logger?.warn(
              { err, receiver: r.label, eventId: d.eventId, type: d.type },
              "webhook event not delivered",
            );
          }
        }
        d = queue.nextWebhookDelivery(r.key);
      }
    })()
      .catch((err: unknown) => {
        // The queue could not be read or written (the store failed): retried on the next event.
        modules.logger?.warn({ err, receiver: r.label }, "webhook queue failed");
      })
      .finally(() => {
        r.running = undefined;
        if (stopper.signal.aborted) return;
        try {
          if (queue.nextWebhookDelivery(r.key)) drain(r);
        } catch (err) {
          modules.logger?.warn({ err, receiver: r.label }, "webhook queue failed");
        }
      });
  };

  const unsubscribe = modules.networks.map((networkId) =>
    modules.stream.subscribe(networkId, (record) => {
      try {
        const drops = queue.enqueueWebhookDeliveries(
          keys,
          {
            seq: record.seq,
            eventId: `${record.epoch}:${record.seq}`,
            type: record.type,
            body: record.body,
            nextAttemptAt: 0,
          },
          opts.maxQueue,
        );
        for (const r of receivers) {
          const n = drops.get(r.key);
          if (n) dropped?.inc({ receiver: r.label }, n);
        }
      } catch (err) {
        // The store refused the write (disk full, closed): the event is lost to every receiver, told here.
        for (const r of receivers) failed?.inc({ receiver: r.label });
        modules.logger?.warn({ err, seq: record.seq.toString() }, "webhook event not queued");
        return;
      }
      for (const r of receivers) drain(r);
    }),
  );
  for (const r of receivers) drain(r);

  return {
    async idle() {
      while (receivers.some((r) => r.running)) await Promise.all(receivers.map((r) => r.running));
    },
    async stop() {
      for (const u of unsubscribe) u();
      stopper.abort();
      await Promise.all(receivers.map((r) => r.running));
    },
  };
}
