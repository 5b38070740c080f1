// Bulk export and the device list over a real SQLite store, served on loopback, read by the client.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { type Hex, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLinesTree, LINE_LEAF_TYPES } from "../../contracts/lines";
import { treeNodesFromHex } from "../agreement/linesTree";
import { type ApiServer, serveApi } from "../api";
import { Store } from "../store/index";
import {
  createFeedClient,
  ExportMismatchError,
  MalformedResponseError,
  NodeResponseError,
} from "./client/index";
import { createFeedApp, OPENAPI_PATH } from "./createFeedApp";
import { deviceId, generateLines, oracleAccounts, signResultVote } from "./fixture";
import type { DevicePageJson, ExportHeaderJson, ExportRowJson } from "./schemas";
import type { ExportedLine, FeedSource } from "./source";
import { createStoreFeedSource } from "./storeSource";

const ctx = { chainId: 31337, settlement: "0x00000000000000000000000000000000000000aa" } as const;
const oracles = oracleAccounts(4);
const DEVICES = 2500;
let dir: string;
let store: Store;
let source: FeedSource;
const servers: ApiServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-feed-export-"));
  store = Store.open({ dataDir: dir });
  for (const epoch of [1n, 2n]) {
    const lines = generateLines(7n, epoch, epoch === 1n ? DEVICES : 5);
    const tree = buildLinesTree(lines);
    const dump = tree.dump();
    const result = {
      networkId: 7n,
      epoch,
      resultRoot: tree.root as Hex,
      observationsCommitment: keccak256(toHex(`obs.${epoch}`)),
      deviceCount: lines.length,
      qualifiedCount: lines.length,
      totalReward: lines.reduce((s, l) => s + l.reward, 0n),
      totalSlash: 0n,
      slashes: [],
      lines,
      observations: [],
    };
    store.saveResult(result, {
      nodes: treeNodesFromHex(dump.tree as Hex[]),
      treeIndex: dump.values.map((v) => v.treeIndex),
    });
    for (const o of oracles.slice(0, 2))
      store.saveVote({ ...result, ...(await signResultVote(o, ctx, result)) });
  }
  // Chunks smaller than the epoch, so an export spans several store queries.
  source = createStoreFeedSource(store, { networks: [7n], exportChunk: 700 });
});
afterAll(async () => {
  for (const s of servers) await s.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const serve = async (s: FeedSource) => {
  const server = await serveApi(createFeedApp(s, { rateLimit: false, exportRateLimit: false }), {
    host: "127.0.0.1",
    port: 0,
  });
  servers.push(server);
  return server.url;
};
const client = (nodes: string[]) =>
  createFeedClient({ nodes, ...ctx, signers: oracles.map((o) => o.address), retries: 0 });

function parse(text: string): { header: ExportHeaderJson; rows: ExportRowJson[] } {
  const [first, ...rest] = text.trimEnd().split("\n");
  return { header: JSON.parse(first!), rows: rest.map((r) => JSON.parse(r)) };
}

/** A node serving the store's export with `edit` applied to each chunk. */
const tampered = (edit: (rows: ExportedLine[]) => ExportedLine[]): FeedSource => ({
  ...source,
  async *exportLines(n, e, root) {
    for await (const rows of source.exportLines!(n, e, root)) yield edit(structuredClone(rows));
  },
});

describe("epoch export", () => {
  it("streams the header then every line by deviceId, which rebuild the root", async () => {
    const app = createFeedApp(source, { rateLimit: false });
    const res = await app.request("/v1/networks/7/epochs/1/export");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const { header, rows } = parse(await res.text());
    expect(header).toMatchObject({
      format: "vigil-lines-ndjson/1",
      leafCount: DEVICES,
      leafEncoding: [...LINE_LEAF_TYPES],
    });
    expect(header.result.votes).toHaveLength(2);
    expect(rows).toHaveLength(DEVICES);
    const ids = rows.map((r) => r.deviceId);
    expect(ids).toEqual([...ids].sort());
    // What a consumer with only @openzeppelin/merkle-tree does.
    const values = rows.map((r) => [
      header.result.networkId,
      header.result.epoch,
      r.deviceId,
      r.owner,
      r.uptimeBps,
      r.work,
      r.reward,
      r.slash,
    ]);
    expect(StandardMerkleTree.of(values, header.leafEncoding).root).toBe(header.result.resultRoot);
  });

  it("gzips when the client accepts it", async () => {
    const app = createFeedApp(source, { rateLimit: false });
    const res = await app.request("/v1/networks/7/epochs/1/export", {
      headers: { "accept-encoding": "gzip" },
    });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const zipped = Buffer.from(await res.arrayBuffer());
    const { rows } = parse(gunzipSync(zipped).toString("utf8"));
    expect(rows).toHaveLength(DEVICES);
  });

  it("answers bad input with clear errors", async () => {
    const app = createFeedApp(source, { rateLimit: false });
    const body = async (path: string) => {
      const res = await app.request(path);
      return { status: res.status, error: ((await res.json()) as { error: { code: string } }).error };
    };
    expect(await body("/v1/networks/7/epochs/9/export")).toMatchObject({
      status: 404,
      error: { code: "EPOCH_NOT_FOUND" },
    });
    expect(await body("/v1/networks/8/epochs/1/export")).toMatchObject({
      status: 404,
      error: { code: "NETWORK_NOT_FOUND" },
    });
    expect(await body("/v1/networks/7/epochs/-1/export")).toMatchObject({
      status: 400,
      error: { code: "INVALID_PARAMETER" },
    });
    expect(await body("/v1/networks/7/devices?limit=100000")).toMatchObject({
      status: 400,
      error: { code: "INVALID_PARAMETER" },
    });
    expect(await body("/v1/networks/7/devices?epoch=9")).toMatchObject({
      status: 404,
      error: { code: "EPOCH_NOT_FOUND" },
    });
  });

  it("has its own per-client limit and a cap on concurrent exports", async () => {
    const limited = createFeedApp(source, {
      rateLimit: false,
      exportRateLimit: { burst: 1, perSecond: 1 / 60, maxClients: 10 },
    });
    expect((await limited.request("/v1/networks/7/epochs/2/export")).status).toBe(200);
    const second = await limited.request("/v1/networks/7/epochs/2/export");
    expect(second.status).toBe(429);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await second.json()) as { error: { message: string } }).error.message).toMatch(
      /export rate limit/,
    );
    // Other routes are not held by the export bucket.
    expect((await limited.request("/v1/networks/7/epochs/2")).status).toBe(200);

    const busy = createFeedApp(source, { rateLimit: false, exportRateLimit: false, maxExports: 1 });
    const open = await busy.request("/v1/networks/7/epochs/1/export");
    const refused = await busy.request("/v1/networks/7/epochs/1/export");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("TOO_MANY_EXPORTS");
    await open.body!.cancel();
    await expect
      .poll(async () => {
        const res = await busy.request("/v1/networks/7/epochs/2/export");
        await res.body?.cancel();
        return res.status;
      })
      .toBe(200);
  });

  it("is listed in the OpenAPI document", async () => {
    const doc = (await (await createFeedApp(source).request(OPENAPI_PATH)).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.paths["/v1/networks/{networkId}/epochs/{epoch}/export"]?.get).toBeDefined();
    expect(doc.paths["/v1/networks/{networkId}/devices"]?.get).toBeDefined();
    expect(doc.paths["/v1/networks"]?.get).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["ExportHeader", "ExportRow", "DevicePage"]),
    );
  });
});

describe("device list", () => {
  it("pages the newest epoch's devices by deviceId", async () => {
    const app = createFeedApp(source, { rateLimit: false });
    const first = (await (await app.request("/v1/networks/7/devices?limit=3")).json()) as DevicePageJson;
    expect(first.epoch).toBe("2");
    expect(first.items).toHaveLength(3);
    const rest = (await (
      await app.request(`/v1/networks/7/devices?limit=3&cursor=${first.nextCursor}`)
    ).json()) as DevicePageJson;
    expect(rest.nextCursor).toBeNull();
    const ids = [...first.items, ...rest.items].map((d) => d.deviceId);
    expect(ids).toEqual(
      generateLines(7n, 2n, 5)
        .map((l) => l.deviceId.toLowerCase())
        .sort(),
    );
    const older = (await (
      await app.request("/v1/networks/7/devices?epoch=1&limit=1000")
    ).json()) as DevicePageJson;
    expect(older.items).toHaveLength(1000);
    expect(older.nextCursor).toBe(older.items.at(-1)!.deviceId);
  });
});

describe("client exportEpoch", () => {
  it("verifies the votes and rebuilds the root from the streamed rows", async () => {
    const url = await serve(source);
    const exported = await client([url]).exportEpoch(7n, 1n);
    expect(exported.leafCount).toBe(DEVICES);
    expect(exported.lines).toHaveLength(DEVICES);
    expect(exported.result.resultRoot).toBe(store.getEpochResult(7n, 1n)!.resultRoot);
    expect(exported.result.verifiedSigners).toHaveLength(2);
    const seen: Hex[] = [];
    const streamed = await client([url]).exportEpoch(7n, 1n, { onLine: (l) => void seen.push(l.deviceId) });
    expect(streamed.lines).toBeUndefined();
    expect(seen).toHaveLength(DEVICES);
    expect(seen).toContain(deviceId(17).toLowerCase());
  });

  it("rejects a tampered row, a moved leaf, a dropped row and a duplicated one", async () => {
    const cases: [string, (rows: ExportedLine[]) => ExportedLine[], RegExp][] = [
      [
        "reward",
        (rows) =>
          rows.map((r, i) => (i === 3 ? { ...r, line: { ...r.line, reward: r.line.reward + 1n } } : r)),
        /rows rebuild root/,
      ],
      [
        "treeIndex",
        (rows) => rows.map((r, i) => (i === 0 ? { ...r, treeIndex: rows[1]!.treeIndex } : r)),
        /two lines at treeIndex/,
      ],
      ["dropped", (rows) => rows.slice(1), /stream ended after/],
      ["duplicated", (rows) => [...rows, rows[0]!], /two lines at treeIndex|more rows than leafCount/],
    ];
    for (const [, edit, message] of cases) {
      const error = await client([await serve(tampered(edit))])
        .exportEpoch(7n, 1n)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExportMismatchError);
      expect((error as ExportMismatchError).code).toBe("EXPORT_MISMATCH");
      expect((error as Error).message).toMatch(message);
    }
  });

  it("moves on to the next node unless lines were already handed over", async () => {
    const liar = await serve(tampered((rows) => rows.slice(1)));
    const honest = await serve(source);
    const recovered = await client([liar, honest]).exportEpoch(7n, 2n);
    expect(recovered.result.node).toBe(honest);
    const error = await client([liar, honest])
      .exportEpoch(7n, 2n, { onLine: () => {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportMismatchError);
  });

  it("reports a node's error and a malformed row as typed errors", async () => {
    const url = await serve(source);
    const missing = await client([url])
      .exportEpoch(7n, 9n)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NodeResponseError);
    expect((missing as NodeResponseError).apiCode).toBe("EPOCH_NOT_FOUND");
    const broken = await serve(tampered((rows) => rows.map((r) => ({ ...r, treeIndex: -1 }))));
    expect(
      await client([broken])
        .exportEpoch(7n, 2n)
        .catch((e: unknown) => e),
    ).toBeInstanceOf(MalformedResponseError);
  });
});
