import { beforeAll, describe, expect, it } from "vitest";
import { createFeedApp } from "../createFeedApp";
import { createReliabilityFixture, lyingSource } from "../fixture";
import type { FeedSource } from "../source";
import { createFeedClient } from "./createFeedClient";
import { ReliabilityMismatchError } from "./errors";

let fx: Awaited<ReturnType<typeof createReliabilityFixture>>;
beforeAll(async () => {
  fx = await createReliabilityFixture();
});

/**
 * Nodes served in-process by the real feed app, by host name: `tamper` rewrites a node's reliability
 * figure on its way out (the history it serves stays its source's).
 */
function client(
  nodes: Record<
    string,
    { source: FeedSource; tamper?: (figure: Record<string, unknown>) => Record<string, unknown> }
  >,
) {
  const apps = Object.fromEntries(
    Object.entries(nodes).map(([host, n]) => [
      host,
      { app: createFeedApp(n.source, { rateLimit: false }), ...n },
    ]),
  );
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const node = apps[url.host]!;
    const res = await node.app.request(url.pathname + url.search, init);
    if (!node.tamper || !url.pathname.endsWith("/reliability") || !res.ok) return res;
    const figure = (await res.json()) as Record<string, unknown>;
    return Response.json({ ...figure, ...node.tamper(figure) });
  };
  return createFeedClient({
    nodes: Object.keys(nodes).map((host) => `http://${host}`),
    chainId: fx.ctx.chainId,
    settlement: fx.ctx.settlement,
    signers: fx.signers,
    publicClient: fx.chain,
    retries: 0,
    fetch: fakeFetch as typeof fetch,
  });
}

describe("getDeviceReliability", () => {
  it("recomputes the node's figure from the history proven on chain, and says which epochs rest on its word", async () => {
    const r = await client({ honest: { source: fx.source } }).getDeviceReliability(fx.networkId, fx.steady);
    expect(r.node).toBe("http://honest");
    expect(r.reliability).toMatchObject({
      fromEpoch: 0n,
      toEpoch: 4n,
      epochs: 5,
      epochsSettled: 4,
      scoreBps: 4998,
    });
    expect(r.history.map((e) => e.status)).toEqual(["line", "absent", "timeout", "line", "line"]);
    // Epoch 3 has a result without the device's line: a root cannot prove that, so the score says so.
    expect(r.unprovenAbsentEpochs).toEqual([3n]);
  });

  it("rejects a tampered figure, and moves on to a node whose figure checks out", async () => {
    const tampered = client({
      liar: { source: fx.source, tamper: (f) => ({ scoreBps: (f.scoreBps as number) + 1 }) },
    });
    const err = await tampered.getDeviceReliability(fx.networkId, fx.steady).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReliabilityMismatchError);
    expect(err).toMatchObject({
      code: "RELIABILITY_MISMATCH",
      field: "scoreBps",
      details: { expected: 4998, actual: 4999 },
      node: "http://liar",
    });

    const hidesSlash = client({
      liar: { source: fx.source, tamper: () => ({ slashes: 0, scoreBps: 7250 }) },
      honest: { source: fx.source },
    });
    const r = await hidesSlash.getDeviceReliability(fx.networkId, fx.slashed);
    expect(r.node).toBe("http://honest");
    expect(r.reliability).toMatchObject({ slashes: 1, scoreBps: 0 });
  });

  it("rejects a window other than asked for, or one that ends well before the chain's newest settled epoch", async () => {
    const cases: [string, Record<string, unknown>][] = [
      ["window", { window: 29 }],
      ["toEpoch", { toEpoch: "2", fromEpoch: "0", epochs: 3 }],
      ["epochsSettled", { epochsSettled: 5 }],
      ["meanUptimeBps", { meanUptimeBps: null }],
    ];
    for (const [field, patch] of cases) {
      const err = await client({ liar: { source: fx.source, tamper: () => patch } })
        .getDeviceReliability(fx.networkId, fx.steady)
        .catch((e: unknown) => e);
      expect(err, field).toMatchObject({ code: "RELIABILITY_MISMATCH", field });
    }
  });

  it("a node that hides the slashed line gets its figure through only as resting on its word", async () => {
    const hiding = lyingSource(fx.source, {
      history: (page) => ({ ...page, items: page.items.filter((i) => i.line.epoch !== 1n) }),
    });
    const r = await client({ hiding: { source: hiding } }).getDeviceReliability(fx.networkId, fx.slashed);
    expect(r.reliability).toMatchObject({ slashes: 0 });
    expect(r.unprovenAbsentEpochs).toEqual([1n]);
  });

  it("asks for the window given, and refuses one out of 1..720 before asking any node", async () => {
    let requests = 0;
    const counting: FeedSource = {
      ...fx.source,
      listEpochs: (...args) => {
        requests++;
        return fx.source.listEpochs(...args);
      },
    };
    const c = client({ honest: { source: counting } });
    for (const window of [0, 721, 1.5])
      await expect(c.getDeviceReliability(1n, fx.steady, { window })).rejects.toThrow(RangeError);
    expect(requests).toBe(0);
    const r = await c.getDeviceReliability(1n, fx.steady, { window: 2 });
    expect(r.reliability).toMatchObject({ window: 2, epochs: 2, scoreBps: 2500 });
    expect(r.unprovenAbsentEpochs).toEqual([3n]);
  });
});
