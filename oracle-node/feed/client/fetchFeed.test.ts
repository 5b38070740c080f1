import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MalformedResponseError, NodeResponseError, NodeUnreachableError } from "./errors";
import { type FetchFeedOptions, fetchFeed, MAX_RETRY_AFTER_MS } from "./fetchFeed";

const Body = z.object({ ok: z.literal(true) });
const NODE = "http://node.test";

type Answer = Response | Error | "hang";
/** A fetch that plays `answers` in order (the last one repeats) and records each call's time. */
function scripted(...answers: Answer[]) {
  const calls: number[] = [];
  const fetch = ((_url: string, init?: RequestInit) => {
    calls.push(performance.now());
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    if (answer === "hang") {
      return new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }),
      );
    }
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer.clone());
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const ok = () => json(200, { ok: true });
const apiError = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message: code.toLowerCase() } }, headers);

const opts = (fetch: typeof globalThis.fetch, extra: Partial<FetchFeedOptions> = {}): FetchFeedOptions => ({
  timeoutMs: 1_000,
  retries: 2,
  backoffMs: 10,
  fetch,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("fetchFeed retries", () => {
  it("retries a 5xx and a network error, then returns the answer", async () => {
    const { fetch, calls } = scripted(apiError(503, "UNAVAILABLE"), new TypeError("fetch failed"), ok());
    expect(await fetchFeed(NODE, "v1/x", Body, opts(fetch))).toEqual({ ok: true });
    expect(calls).toHaveLength(3);
  });

  it("backs off exponentially from backoffMs", async () => {
    const { fetch, calls } = scripted(apiError(500, "INTERNAL"), apiError(500, "INTERNAL"), ok());
    await fetchFeed(NODE, "v1/x", Body, opts(fetch, { backoffMs: 100 }));
    // Timers fire no earlier than asked; allow 5 ms for clock granularity.
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(95);
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(195);
  });

  it("waits for the node's Retry-After on a 429", async () => {
    const { fetch, calls } = scripted(apiError(429, "RATE_LIMITED", { "retry-after": "1" }), ok());
    expect(await fetchFeed(NODE, "v1/x", Body, opts(fetch))).toEqual({ ok: true });
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(995);
  });

  it("gives up at once when Retry-After is beyond what it waits for", async () => {
    const seconds = String(MAX_RETRY_AFTER_MS / 1000 + 1);
    const { fetch, calls } = scripted(apiError(429, "RATE_LIMITED", { "retry-after": seconds }), ok());
    const error = await failure(fetchFeed(NODE, "v1/x", Body, opts(fetch)));
    expect(error).toBeInstanceOf(NodeResponseError);
    expect((error as NodeResponseError).retryAfterMs).toBe(Number(seconds) * 1000);
    expect(calls).toHaveLength(1);
  });

  it("retries a timed-out attempt and stops after `retries`", async () => {
    const { fetch, calls } = scripted("hang");
    const error = await failure(fetchFeed(NODE, "v1/x", Body, opts(fetch, { timeoutMs: 50, retries: 2 })));
    expect(error).toBeInstanceOf(NodeUnreachableError);
    expect(calls).toHaveLength(3);
  });

  it("never retries a 4xx other than 429, or an answer that does not parse", async () => {
    const notFound = scripted(apiError(404, "EPOCH_NOT_FOUND"), ok());
    const error = await failure(fetchFeed(NODE, "v1/x", Body, opts(notFound.fetch)));
    expect(error).toMatchObject({ status: 404, apiCode: "EPOCH_NOT_FOUND" });
    expect(notFound.calls).toHaveLength(1);

    const malformed = scripted(json(200, { ok: "yes" }), ok());
    expect(await failure(fetchFeed(NODE, "v1/x", Body, opts(malformed.fetch)))).toBeInstanceOf(
      MalformedResponseError,
    );
    expect(malformed.calls).toHaveLength(1);
  });

  it("stops retrying when the caller aborts", async () => {
    const { fetch, calls } = scripted(apiError(503, "UNAVAILABLE"));
    const controller = new AbortController();
    const pending = failure(
      fetchFeed(NODE, "v1/x", Body, opts(fetch, { backoffMs: 60_000, signal: controller.signal })),
    );
    await expect.poll(() => calls.length).toBe(1);
    controller.abort(new Error("caller gave up"));
    // The backoff is a minute: only the abort can end it now, with the last attempt's error.
    expect(await pending).toBeInstanceOf(NodeResponseError);
    expect(calls).toHaveLength(1);
  });

  it("with retries 0 makes a single attempt", async () => {
    const { fetch, calls } = scripted(apiError(503, "UNAVAILABLE"), ok());
    expect(await failure(fetchFeed(NODE, "v1/x", Body, opts(fetch, { retries: 0 })))).toBeInstanceOf(
      NodeResponseError,
    );
    expect(calls).toHaveLength(1);
  });
});
