import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryRing, createVerdictJournal } from "./verdictJournal";
import { createWebhookSender, type WebhookSender } from "./webhooks";

const secret = "a shared secret of some length";
const oracle = privateKeyToAccount(keccak256(toHex("webhook-oracle")));
const settlement = "0x00000000000000000000000000000000000000bb" as const;

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A receiver that checks the HMAC as docs/consumers.md tells one to; `status` decides its answers. */
async function startReceiver(status: () => number) {
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
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
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
