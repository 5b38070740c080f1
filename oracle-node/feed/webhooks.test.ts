import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Store } from "../store/index";
import { createMemoryRing, createVerdictJournal, storeRing } from "./verdictJournal";
import { createWebhookSender, type WebhookSender, webhookReceiverKey } from "./webhooks";

const secret = "a shared secret of some length";
const oracle = privateKeyToAccount(keccak256(toHex("webhook-oracle")));
const settlement = "0x00000000000000000000000000000000000000bb" as const;

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A receiver that checks the HMAC as docs/consumers.md tells one to; `status` decides its answers. */
async function startReceiver(status: () => number, port = 0) {
  const received: Received[] = [];
  let refused = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const timestamp = String(req.headers["x-vigil-timestamp"]);
      const expected = Buffer.from(
        `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`,
      );
      const got = Buffer.from(String(req.headers["x-vigil-signature"]));
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
      if (got.length !== expected.length || !timingSafeEqual(got, expected) || !fresh) {
        refused++;
        res.writeHead(401).end();
        return;
      }
      const code = status();
      if (code === 200) received.push({ headers: req.headers, body });
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, refused: () => refused, close: () => new Promise((r) => server.close(r)) };
}

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function setup(url: string, opts: { maxQueue?: number; retries?: number; secret?: string } = {}) {
  const journal = createVerdictJournal(
    { chainId: 31337, settlement },
    { ring: createMemoryRing(), account: oracle },
  );
  const metrics = new Registry();
  const sender: WebhookSender = createWebhookSender(
    { urls: [url], secret: opts.secret ?? secret, backoffMs: 10, maxBackoffMs: 50, ...opts },
    { stream: journal, networks: [1n], metrics },
  );
  cleanups.push(() => sender.stop());
  const publish = (i: number) =>
    journal.verdict(1n, 3n, {
      deviceId: keccak256(toHex(`device-${i}`)),
      kind: "latency",
      outcome: "pass",
      challengeId: keccak256(toHex(`challenge-${i}`)),
    });
  return { journal, sender, metrics, publish };
}

describe("webhooks", () => {
  it("posts each event in order, signed with the shared secret, retrying a receiver that fails", async () => {
    let calls = 0;
    // The first two deliveries fail with 503: the sender retries with backoff.
    const receiver = await startReceiver(() => (++calls <= 2 ? 503 : 200));
    cleanups.push(receiver.close);
    const { journal, sender, publish } = setup(receiver.url);
    for (let i = 0; i < 3; i++) publish(i);
    await journal.idle();
    await expect.poll(() => receiver.received.length).toBe(3);
    await sender.idle();
    const events = receiver.received.map((r) => JSON.parse(r.body));
    expect(events.map((e) => e.seq)).toEqual(["1", "2", "3"]);
    expect(events.every((e) => e.provisional === true && e.signer === oracle.address)).toBe(true);
    expect(receiver.received[0]!.headers["x-vigil-event-id"]).toBe("3:1");
    expect(receiver.received[0]!.headers["x-vigil-event"]).toBe("verdict");
    expect(receiver.refused()).toBe(0);
  });

  it("a receiver with another secret refuses every event", async () => {
    const receiver = await startReceiver(() => 200);
    cleanups.push(receiver.close);
    const { journal, publish, metrics } = setup(receiver.url, {
      secret: "not the receiver's secret",
      retries: 0,
    });
    publish(1);
    await journal.idle();
    await expect.poll(() => receiver.refused()).toBe(1);
    await expect
      .poll(async () =>
        (await metrics.getSingleMetricAsString("vigil_feed_webhook_failed_total")).includes(" 1"),
      )
      .toBe(true);
    expect(receiver.received).toEqual([]);
  });

  it("drops the oldest events when a receiver is down, and never holds the journal up", async () => {
    // Nothing listens here: every delivery fails to connect.
    const { journal, publish, metrics } = setup("http://127.0.0.1:9/down", { maxQueue: 2, retries: 1 });
    for (let i = 0; i < 10; i++) publish(i);
    await journal.idle(); // the journal finished signing all ten at its own pace
    expect(journal.bounds().latest).toBe(10n);
    await expect
      .poll(async () => {
        const text = await metrics.getSingleMetricAsString("vigil_feed_webhook_dropped_total");
        return Number(/receiver="0"} (\d+)/.exec(text)?.[1] ?? 0);
      })
      .toBeGreaterThanOrEqual(7);
  });
});

/** A port nothing listens on now, for a receiver that comes up later at the same URL. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe("webhooks on the node's store (survive a restart)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vigil-webhooks-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  });

  /** One node's webhook module over the SQLite file in `dir`: its store, journal and sender. */
  function startNode(
    urls: string[],
    opts: { maxQueue?: number; warn?: (obj: object, msg: string) => void } = {},
  ) {
    const store = Store.open({ dataDir: dir });
    const journal = createVerdictJournal(
      { chainId: 31337, settlement },
      { ring: storeRing(store), account: oracle },
    );
    const metrics = new Registry();
    const sender = createWebhookSender(
      {
        urls,
        secret,
        backoffMs: 10,
        maxBackoffMs: 40,
        retries: 10_000,
        ...(opts.maxQueue ? { maxQueue: opts.maxQueue } : {}),
      },
      {
        stream: journal,
        networks: [1n],
        queue: store,
        metrics,
        // Only the (object, message) form is called; pino's overloads are not worth spelling out here.
        logger: { warn: opts.warn ?? (() => {}), info: () => {} } as unknown as Pick<Logger, "warn" | "info">,
      },
    );
    const close = async () => {
      await journal.idle();
      await sender.stop();
      store.close();
    };
    cleanups.push(close);
    const publish = (i: number) =>
      journal.verdict(1n, 3n, {
        deviceId: keccak256(toHex(`device-${i}`)),
        kind: "latency",
        outcome: "pass",
        challengeId: keccak256(toHex(`challenge-${i}`)),
      });
    return { store, journal, sender, metrics, publish, close };
  }

  it("a receiver down while events queue gets every event exactly once, in order, after the node restarts", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    const key = webhookReceiverKey(url);
    const first = startNode([url]);
    for (let i = 0; i < 5; i++) first.publish(i);
    await first.journal.idle();
    // Written before the first attempt; the receiver is down, so attempts fail and are recorded.
    expect(first.store.webhookReceivers()).toEqual([{ receiver: key, pending: 5, dropped: 0n }]);
    await expect.poll(() => first.store.nextWebhookDelivery(key)?.attempts ?? 0).toBeGreaterThan(0);
    await first.close();

    const receiver = await startReceiver(() => 200, port);
    cleanups.push(receiver.close);
    const second = startNode([url]);
    for (let i = 5; i < 7; i++) second.publish(i);
    await second.journal.idle();
    await expect.poll(() => receiver.received.length).toBe(7);
    await second.sender.idle();
    const ids = receiver.received.map((r) => r.headers["x-vigil-event-id"]);
    expect(ids).toEqual(["3:1", "3:2", "3:3", "3:4", "3:5", "3:6", "3:7"]);
    expect(receiver.received.map((r) => JSON.parse(r.body).seq)).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
    expect(second.store.webhookReceivers()).toEqual([]);
    expect(receiver.refused()).toBe(0);
  });

  it("bounds each receiver's queue, dropping the oldest, and keeps the dropped count across a restart", async () => {
    const url = `http://127.0.0.1:${await freePort()}/down`;
    const key = webhookReceiverKey(url);
    const first = startNode([url], { maxQueue: 2 });
    for (let i = 0; i < 5; i++) first.publish(i);
    await first.journal.idle();
    expect(first.store.webhookReceivers()).toEqual([{ receiver: key, pending: 2, dropped: 3n }]);
    expect(first.store.nextWebhookDelivery(key)?.eventId).toBe("3:4");
    await first.close();

    const second = startNode([url], { maxQueue: 2 });
    const text = await second.metrics.getSingleMetricAsString("vigil_feed_webhook_dropped_total");
    expect(text).toContain('vigil_feed_webhook_dropped_total{receiver="0"} 3');
  });

  it("deletes the queue of a receiver removed from the config at start, logging how many it held", async () => {
    const gone = `http://127.0.0.1:${await freePort()}/gone`;
    const first = startNode([gone]);
    for (let i = 0; i < 3; i++) first.publish(i);
    await first.journal.idle();
    await first.close();

    const receiver = await startReceiver(() => 200);
    cleanups.push(receiver.close);
    const warnings: { obj: object; msg: string }[] = [];
    const second = startNode([receiver.url], { warn: (obj, msg) => warnings.push({ obj, msg }) });
    expect(warnings).toContainEqual({
      obj: expect.objectContaining({ receiver: webhookReceiverKey(gone).slice(0, 16), deliveries: 3 }),
      msg: "webhook receiver no longer configured: its pending deliveries are deleted",
    });
    expect(second.store.webhookReceivers()).toEqual([]);
    second.publish(9);
    await second.journal.idle();
    await expect.poll(() => receiver.received.length).toBe(1);
    expect(receiver.received[0]!.headers["x-vigil-event-id"]).toBe("3:4");
  });
});
