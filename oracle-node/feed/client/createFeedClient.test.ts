import { createServer, type Socket } from "node:net";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, serveApi } from "../../api";
import { createFeedApp } from "../createFeedApp";
import {
  createFeedFixture,
  deviceId,
  type FeedFixture,
  type Lie,
  lyingSource,
  oracleAccounts,
  signResultVote,
} from "../fixture";
import { createFeedClient } from "./createFeedClient";
import {
  AllNodesFailedError,
  FeedClientError,
  ForeignSignerError,
  InvalidProofError,
  InvalidSignatureError,
  LineMismatchError,
  MalformedResponseError,
  NodeResponseError,
  NodeUnreachableError,
  TamperedLineError,
  TooFewSignaturesError,
} from "./errors";

// Each lying node is a real feed server over a source that alters what the honest one holds.
let fx: FeedFixture;
const servers: ApiServer[] = [];
let honest: string;
async function serveLie(lie: Lie): Promise<string> {
  const server = await serveApi(createFeedApp(lyingSource(fx.source, lie), { rateLimit: false }), {
    host: "127.0.0.1",
    port: 0,
  });
  servers.push(server);
  return server.url;
}

beforeAll(async () => {
  fx = await createFeedFixture({ devices: 10, oracles: 4, voters: 3 });
  honest = await serveLie({});
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const client = (nodes: string[], extra: { strict?: boolean } = {}) =>
  createFeedClient({
    nodes,
    chainId: fx.ctx.chainId,
    settlement: fx.ctx.settlement,
    signers: fx.signers,
    ...extra,
  });

async function rejection(promise: Promise<unknown>): Promise<FeedClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeedClientError);
  return error as FeedClientError;
}

describe("feed client", () => {
  it("returns a line proven against a root signed by f + 1 registered oracles", async () => {
    const got = await client([honest]).getDeviceLine(1n, 2n, deviceId(4));
    const expected = fx.lines.get(2n)![4]!;
    expect(got.line).toEqual(expected);
    expect(got.result.resultRoot).toBe(fx.results.get(2n)!.resultRoot);
    expect(got.result.verifiedSigners).toHaveLength(3);
    expect(got.result.node).toBe(honest);
  });

  it("returns a verified epoch result with its slashes", async () => {
    const got = await client([honest]).getEpochResult(1n, 3n);
    expect(got.resultRoot).toBe(fx.results.get(3n)!.resultRoot);
    expect(got.unverified.totalReward).toBe(fx.results.get(3n)!.totalReward);
  });

  it("rejects a tampered line with TamperedLineError", async () => {
    const node = await serveLie({ line: (p) => ({ ...p, line: { ...p.line, reward: p.line.reward * 2n } }) });
    const error = await rejection(client([node]).getDeviceLine(1n, 2n, deviceId(4)));
    expect(error).toBeInstanceOf(TamperedLineError);
    expect(error.code).toBe("TAMPERED_LINE");
  });

  it("rejects a tampered line whose leaf was recomputed with InvalidProofError", async () => {
    const { lineLeaf } = await import("../../../contracts/portable");
    const node = await serveLie({
      line: (p) => {
        const line = { ...p.line, uptimeBps: 10_000 };
        return { ...p, line, leaf: lineLeaf(line) };
      },
    });
    expect(await rejection(client([node]).getDeviceLine(1n, 2n, deviceId(4)))).toBeInstanceOf(
      InvalidProofError,
    );
  });

  it("rejects a wrong proof with InvalidProofError", async () => {
    const node = await serveLie({
      line: (p) => ({ ...p, proof: [...p.proof.slice(0, -1), `0x${"11".repeat(32)}` as Hex] }),
    });
    const error = await rejection(client([node]).getDeviceLine(1n, 2n, deviceId(4)));
    expect(error).toBeInstanceOf(InvalidProofError);
    expect(error.code).toBe("INVALID_PROOF");
  });

  it("rejects a proof against another epoch's root with InvalidProofError", async () => {
    const other = fx.results.get(3n)!;
    const node = await serveLie({
      line: (p) => ({ ...p, result: { ...p.result, resultRoot: other.resultRoot } }),
    });
    expect(await rejection(client([node]).getDeviceLine(1n, 2n, deviceId(4)))).toBeInstanceOf(
      InvalidProofError,
    );
  });

  it("rejects a result with too few registered signatures with TooFewSignaturesError", async () => {
    const node = await serveLie({
      line: (p) => ({ ...p, result: { ...p.result, votes: p.result.votes.slice(0, 1) } }),
      result: (r) => ({ ...r, votes: [] }),
    });
    const error = await rejection(client([node]).getDeviceLine(1n, 2n, deviceId(4)));
    expect(error).toBeInstanceOf(TooFewSignaturesError);
    expect(error).toMatchObject({ valid: 1, required: 2 });
    expect(await rejection(client([node]).getEpochResult(1n, 2n))).toBeInstanceOf(TooFewSignaturesError);
  });

  it("does not count one signer twice", async () => {
    const node = await serveLie({
      result: (r) => ({ ...r, votes: [r.votes[0]!, r.votes[0]!, r.votes[0]!] }),
    });
    expect(await rejection(client([node]).getEpochResult(1n, 2n))).toBeInstanceOf(TooFewSignaturesError);
  });

  it("rejects votes of unregistered signers with ForeignSignerError", async () => {
    const outsiders = oracleAccounts(3, "not.registered");
    const node = await serveLie({
      result: async (r) => ({
        ...r,
        votes: [r.votes[0]!, ...(await Promise.all(outsiders.map((o) => signResultVote(o, fx.ctx, r))))],
      }),
    });
    const error = await rejection(client([node]).getEpochResult(1n, 1n));
    expect(error).toBeInstanceOf(ForeignSignerError);
    expect((error as ForeignSignerError).foreign).toEqual(outsiders.map((o) => o.address));
  });

  it("accepts enough registered votes beside a foreign one, unless strict", async () => {
    const [outsider] = oracleAccounts(1, "not.registered");
    const node = await serveLie({
      result: async (r) => ({ ...r, votes: [...r.votes, await signResultVote(outsider!, fx.ctx, r)] }),
    });
    const got = await client([node]).getEpochResult(1n, 1n);
    expect(got.verifiedSigners).toHaveLength(3);
    expect(got.foreignSigners).toEqual([outsider!.address]);
    const strict = await rejection(client([node], { strict: true }).getEpochResult(1n, 1n));
    expect(strict).toBeInstanceOf(ForeignSignerError);
    expect(strict.message).toContain(
      "rejected in strict mode (3 distinct registered signers voted, 2 required)",
    );
  });

  it("rejects a vote not made by its claimed signer, or over another result, with InvalidSignatureError", async () => {
    const swapped = await serveLie({
      result: (r) => ({ ...r, votes: r.votes.map((v, i) => ({ ...v, signer: fx.signers[(i + 1) % 4]! })) }),
    });
    expect(await rejection(client([swapped]).getEpochResult(1n, 1n))).toBeInstanceOf(InvalidSignatureError);
    // Votes copied from epoch 2 onto epoch 1's result recover to other addresses.
    const e2 = (await fx.source.getEpochResult(1n, 2n))!;
    const copied = await serveLie({ result: (r) => ({ ...r, votes: e2.votes }) });
    expect(await rejection(client([copied]).getEpochResult(1n, 1n))).toBeInstanceOf(InvalidSignatureError);
  });

  it("rejects another device's line with LineMismatchError", async () => {
    const node = await serveLie({ line: async () => (await fx.source.getDeviceLine(1n, 2n, deviceId(5)))! });
    const error = await rejection(client([node]).getDeviceLine(1n, 2n, deviceId(4)));
    expect(error).toBeInstanceOf(LineMismatchError);
    expect(error.details).toMatchObject({ field: "deviceId" });
  });

  it("reports an unreachable node, a node error and a malformed body with their own errors", async () => {
    const closed = await serveApi(createFeedApp(fx.source), { host: "127.0.0.1", port: 0 });
    await closed.close();
    expect(await rejection(client([closed.url]).getEpochResult(1n, 1n))).toBeInstanceOf(NodeUnreachableError);

    const missing = await rejection(client([honest]).getEpochResult(1n, 77n));
    expect(missing).toBeInstanceOf(NodeResponseError);
    expect(missing).toMatchObject({ status: 404, apiCode: "EPOCH_NOT_FOUND" });

    const garbled = await serveLie({ result: (r) => ({ ...r, resultRoot: "0x1234" as Hex }) });
    expect(await rejection(client([garbled]).getEpochResult(1n, 1n))).toBeInstanceOf(MalformedResponseError);
  });

  it("gives up on a node that accepts the connection but never answers", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const c = createFeedClient({
        nodes: [`http://127.0.0.1:${port}`],
        chainId: fx.ctx.chainId,
        settlement: fx.ctx.settlement,
        signers: fx.signers,
        timeoutMs: 200,
      });
      expect(await rejection(c.getEpochResult(1n, 1n))).toBeInstanceOf(NodeUnreachableError);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it("falls over to the next node when one lies, and lists every failure when all do", async () => {
    const liar = await serveLie({ line: (p) => ({ ...p, line: { ...p.line, slash: 0n, reward: 1n } }) });
    const got = await client([liar, honest]).getDeviceLine(1n, 1n, deviceId(7));
    expect(got.result.node).toBe(honest);
    expect(got.line).toEqual(fx.lines.get(1n)![7]);

    const error = await rejection(client([liar, "http://127.0.0.1:1"]).getDeviceLine(1n, 1n, deviceId(7)));
    expect(error).toBeInstanceOf(AllNodesFailedError);
    expect((error as AllNodesFailedError).errors.map((e) => e.code)).toEqual([
      "TAMPERED_LINE",
      "NODE_UNREACHABLE",
    ]);
  });

  it("retries a node's 503 before verifying, and never retries an answer that fails a check", async () => {
    const liar = await serveLie({ line: (p) => ({ ...p, line: { ...p.line, reward: p.line.reward + 1n } }) });
    const requests: string[] = [];
    let unavailable = 1;
    const fetch = ((input: string, init?: RequestInit) => {
      requests.push(new URL(input).origin);
      if (unavailable-- > 0) return Promise.resolve(new Response("{}", { status: 503 }));
      return globalThis.fetch(input, init);
    }) as typeof globalThis.fetch;
    const c = createFeedClient({
      nodes: [liar, honest],
      chainId: fx.ctx.chainId,
      settlement: fx.ctx.settlement,
      signers: fx.signers,
      backoffMs: 1,
      fetch,
    });
    const got = await c.getDeviceLine(1n, 1n, deviceId(7));
    expect(got.result.node).toBe(honest);
    // The liar: once 503, once a tampered line (not asked again); then the honest node.
    expect(requests).toEqual([liar, liar, honest].map((u) => new URL(u).origin));
  });

  it("lists epochs and history across pages", async () => {
    const c = client([honest]);
    const page = await c.listEpochs(1n, { limit: 2 });
    expect(page.items.map((e) => e.epoch)).toEqual([3n, 2n]);
    const rest = await c.listEpochs(1n, { limit: 2, cursor: page.nextCursor! });
    expect(rest.items.map((e) => e.epoch)).toEqual([1n]);
    const history = await c.getDeviceHistory(1n, deviceId(2));
    expect(history.items.map((i) => i.unverified.line.epoch)).toEqual([3n, 2n, 1n]);
  });

  // streamVerdicts over real HTTP: oracle-node/feed/verdictStream.test.ts.
});
