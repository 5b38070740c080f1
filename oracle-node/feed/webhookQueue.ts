/** One event waiting to be posted to one receiver. */
export interface WebhookDelivery {
  seq: bigint;
  /** `<epoch>:<seq>`, the `x-vigil-event-id` header. */
  eventId: string;
  type: string;
  /** The signed event's JSON, exactly as posted. */
  body: string;
  /** Failed attempts so far. */
  attempts: number;
  /** Unix ms before which the next attempt waits. */
  nextAttemptAt: number;
}

/**
 * Where the webhook sender keeps its pending deliveries: the node's SQLite store (its `Store` has
 * these methods, table `webhook_deliveries`, migration 4), so a restart resumes them; or memory
 * (`createMemoryWebhookQueue`, tests). Receivers are keyed by the sha256 of their URL.
 */
export interface WebhookQueue {
  /** Queues the event for each receiver, dropping each one's oldest past `maxQueue`; returns drops per receiver. */
  enqueueWebhookDeliveries(
    receivers: readonly string[],
    d: Omit<WebhookDelivery, "attempts">,
    maxQueue: number,
  ): Map<string, number>;
  nextWebhookDelivery(receiver: string): WebhookDelivery | undefined;
  /** False when the delivery is gone (dropped meanwhile). */
  webhookAttemptFailed(receiver: string, seq: bigint, attempts: number, nextAttemptAt: number): boolean;
  removeWebhookDelivery(receiver: string, seq: bigint): void;
  webhookReceivers(): { receiver: string; pending: number; dropped: bigint }[];
  forgetWebhookReceiver(receiver: string): number;
}

/** A queue in memory: lost on restart (tests, a node without a store). */
export function createMemoryWebhookQueue(): WebhookQueue {
  const queues = new Map<string, WebhookDelivery[]>();
  const dropped = new Map<string, bigint>();
  return {
    enqueueWebhookDeliveries(receivers, d, maxQueue) {
      const out = new Map<string, number>();
      for (const receiver of receivers) {
        const q = queues.get(receiver) ?? [];
        queues.set(receiver, q);
        q.push({ ...d, attempts: 0 });
        if (q.length > maxQueue) {
          const n = q.length - maxQueue;
          q.splice(0, n);
          out.set(receiver, n);
          dropped.set(receiver, (dropped.get(receiver) ?? 0n) + BigInt(n));
        }
      }
      return out;
    },
    nextWebhookDelivery: (receiver) => queues.get(receiver)?.[0],
    webhookAttemptFailed(receiver, seq, attempts, nextAttemptAt) {
      const d = queues.get(receiver)?.find((x) => x.seq === seq);
      if (!d) return false;
      d.attempts = attempts;
      d.nextAttemptAt = nextAttemptAt;
      return true;
    },
    removeWebhookDelivery(receiver, seq) {
      const q = queues.get(receiver);
      const i = q?.findIndex((x) => x.seq === seq) ?? -1;
      if (q && i >= 0) q.splice(i, 1);
    },
    webhookReceivers: () =>
      [...new Set([...queues.keys(), ...dropped.keys()])].sort().map((receiver) => ({
        receiver,
        pending: queues.get(receiver)?.length ?? 0,
        dropped: dropped.get(receiver) ?? 0n,
      })),
    forgetWebhookReceiver(receiver) {
      const n = queues.get(receiver)?.length ?? 0;
      queues.delete(receiver);
      dropped.delete(receiver);
      return n;
    },
  };
}
