// `getDeviceHistoryRange` over the reliability fixture's chain stand-in (roots, a timeout, nextEpoch);
// the export-backed proof of absence runs against anvil in test/feed/tampering.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { lineLeaf } from "../../../contracts/lines";
import { createFeedApp } from "../createFeedApp";
import { createReliabilityFixture, lyingSource } from "../fixture";
import type { FeedSource } from "../source";
import { createFeedClient } from "./createFeedClient";
import { type FeedClientError, InvalidProofError, NotSettledOnChainError } from "./errors";

let fx: Awaited<ReturnType<typeof createReliabilityFixture>>;
beforeAll(async () => {
  fx = await createReliabilityFixture();
});

/** One in-process node serving `source` through the real feed app. */
function client(source: FeedSource) {
  const app = createFeedApp(source, { rateLimit: false });
  return createFeedClient({
    nodes: ["http://node"],
    chainId: fx.ctx.chainId,
    settlement: fx.ctx.settlement,
    signers: fx.signers,
    publicClient: fx.chain,
    retries: 0,
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : input);
      return app.request(url.pathname + url.search, init);
    }) as typeof fetch,
  });
}

describe("getDeviceHistoryRange", () => {
  it("accounts for every settled epoch: proven lines, the chain's timeout, and absences typed unverified", async () => {
    const range = await client(fx.source).getDeviceHistoryRange(fx.networkId, fx.steady, {
      fromEpoch: 0n,
      toEpoch: 4n,
    });
    expect(range.node).toBe("http://node");
    expect(range.entries.map((e) => [e.epoch, e.status])).toEqual([
      [4n, "line"],
      [3n, "absent"],
      [2n, "timeout"],
      [1n, "line"],
      [0n, "line"],
    ]);
    const line = range.entries[0]!;
    expect(line.status === "line" && line.line).toEqual(fx.lines.get(4n)![0]);
    expect(line.status === "line" && line.resultRoot).toBe(fx.results.get(4n)!.resultRoot);
    expect(range.entries[1]).toEqual({
      epoch: 3n,
      status: "absent",
      absenceProven: false,
      unverified: { node: "http://node" },
    });
  });

  it("types a dropped line as an unverified absence, not as a missing epoch", async () => {
    const dropping = lyingSource(fx.source, {
      history: (page) => ({ ...page, items: page.items.filter((i) => i.line.epoch !== 1n) }),
    });
    const range = await client(dropping).getDeviceHistoryRange(fx.networkId, fx.steady, {
      fromEpoch: 0n,
      toEpoch: 4n,
    });
    expect(range.entries).toHaveLength(5);
    expect(range.entries[3]).toMatchObject({ epoch: 1n, status: "absent", absenceProven: false });
  });

  it("rejects a line served for an epoch the chain settled as a timeout", async () => {
    // Epoch 4's line moved to the timed-out epoch 2, its leaf recomputed: only the root can refuse it.
    const inventing = lyingSource(fx.source, {
      history: (page) => ({
        ...page,
        items: page.items.flatMap((i) => {
          if (i.line.epoch !== 4n) return [i];
          const moved = { ...i.line, epoch: 2n };
          return [i, { ...i, line: moved, leaf: lineLeaf(moved) }];
        }),
      }),
    });
    const error = await client(inventing)
      .getDeviceHistoryRange(fx.networkId, fx.steady, { fromEpoch: 0n, toEpoch: 4n })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidProofError);
  });

  it("refuses a range that reaches an unsettled epoch, and a malformed range", async () => {
    const c = client(fx.source);
    const unsettled = await c
      .getDeviceHistoryRange(fx.networkId, fx.steady, { fromEpoch: 3n, toEpoch: 5n })
      .catch((e: unknown) => e);
    expect(unsettled).toBeInstanceOf(NotSettledOnChainError);
    expect((unsettled as FeedClientError).message).toContain("epoch 5 of network 1 is not settled on chain");
    await expect(
      c.getDeviceHistoryRange(fx.networkId, fx.steady, { fromEpoch: 4n, toEpoch: 3n }),
    ).rejects.toThrow(TypeError);
    await expect(
      c.getDeviceHistoryRange(fx.networkId, fx.steady, { fromEpoch: 0n, toEpoch: 1000n }),
    ).rejects.toThrow("at most 1000 epochs");
  });
});
