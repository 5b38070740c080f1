import { afterAll, describe, expect, it } from "vitest";
import { type ApiServer, serveApi } from "../api";
import { createFeedApp } from "./createFeedApp";
import { createFeedFixture } from "./fixture";
import { TokenBuckets } from "./rateLimit";

describe("token buckets", () => {
  it("refills at the configured rate and says when to retry", () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 2, perSecond: 0.5, maxClients: 10 }, () => now);
    expect(buckets.take("a")).toEqual({ ok: true });
    expect(buckets.take("a")).toEqual({ ok: true });
    expect(buckets.take("a")).toEqual({ ok: false, retryAfterSeconds: 2 });
    now = 2000;
    expect(buckets.take("a")).toEqual({ ok: true });
    expect(buckets.take("a").ok).toBe(false);
  });

  it("keeps at most maxClients buckets, forgetting the least recently seen", () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 1, perSecond: 0.001, maxClients: 3 }, () => now);
    for (const key of ["a", "b", "c"]) buckets.take(key);
    buckets.take("a"); // a is now the most recent
    for (let i = 0; i < 1000; i++) buckets.take(`spray-${i}`);
    expect(buckets.size).toBe(3);
    now = 1;
    // Evicted clients start over with a full bucket: bounded memory costs at most a fresh burst.
    expect(buckets.take("b").ok).toBe(true);
  });
});

describe("rate limits over real HTTP", () => {
  const servers: ApiServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it("limits by the connection's address and answers 429 with Retry-After", async () => {
    const fx = await createFeedFixture({ devices: 2, epochs: [1n] });
    const server = await serveApi(
      createFeedApp(fx.source, { rateLimit: { burst: 2, perSecond: 1, maxClients: 100 } }),
      { host: "127.0.0.1", port: 0 },
    );
    servers.push(server);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/v1/networks/1/epochs`);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it("refuses streams beyond maxStreams with 503", async () => {
    const fx = await createFeedFixture({ devices: 2, epochs: [1n] });
    const server = await serveApi(createFeedApp(fx.source, { rateLimit: false, maxStreams: 1 }), {
      host: "127.0.0.1",
      port: 0,
    });
    servers.push(server);
    const controller = new AbortController();
    const first = await fetch(`${server.url}/v1/networks/1/verdicts/stream`, { signal: controller.signal });
    expect(first.status).toBe(200);
    const second = await fetch(`${server.url}/v1/networks/1/verdicts/stream`);
    expect(second.status).toBe(503);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe("TOO_MANY_STREAMS");
    controller.abort();
  });
});
