import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { type Hex, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLinesTree } from "../../contracts/lines";
import { treeNodesFromHex } from "../agreement/linesTree";
import { type ApiServer, serveApi } from "../api";
import { createEpochWriter } from "../store/fixture";
import { createRetention, Store } from "../store/index";
import { deviceLineFromJson } from "./client/fromJson";
import { createFeedClient, verifyLineProof } from "./client/index";
import { createFeedApp, OPENAPI_PATH } from "./createFeedApp";
import { deviceId, generateLines, oracleAccounts, signResultVote } from "./fixture";
import { buildTree } from "./memorySource";
import type { DeviceLineJson } from "./schemas";
import { createStoreFeedSource } from "./storeSource";

const ctx = { chainId: 31337, settlement: "0x00000000000000000000000000000000000000aa" } as const;
const oracles = oracleAccounts(4);
let dir: string;
let store: Store;
let server: ApiServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-feed-store-"));
  store = Store.open({ dataDir: dir });
  for (const epoch of [1n, 2n, 3n]) {
    const lines = generateLines(7n, epoch, 9);
    const tree = buildLinesTree(lines);
    const dump = tree.dump();
    const result = {
      networkId: 7n,
      epoch,
      resultRoot: tree.root as `0x${string}`,
      observationsCommitment: keccak256(toHex(`obs.${epoch}`)),
      deviceCount: lines.length,
      qualifiedCount: lines.length,
      totalReward: lines.reduce((s, l) => s + l.reward, 0n),
      totalSlash: lines.reduce((s, l) => s + l.slash, 0n),
      slashes: [],
      lines,
      observations: [],
    };
    store.saveResult(result, {
      nodes: treeNodesFromHex(dump.tree as `0x${string}`[]),
      treeIndex: dump.values.map((v) => v.treeIndex),
    });
    for (const o of oracles.slice(0, 2))
      store.saveVote({ ...result, ...(await signResultVote(o, ctx, result)) });
  }
  const source = createStoreFeedSource(store, {
    isSettled: (_n, e) => e <= 2n,
    networks: [7n],
  });
  server = await serveApi(createFeedApp(source, { rateLimit: false }), { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("feed over the node's SQLite store", () => {
  const client = () =>
    createFeedClient({
      nodes: [server.url],
      chainId: ctx.chainId,
      settlement: ctx.settlement,
      signers: oracles.map((o) => o.address),
    });

  it("serves lines whose proofs and votes the client verifies", async () => {
    const got = await client().getDeviceLine(7n, 2n, deviceId(4));
    expect(got.line).toEqual(generateLines(7n, 2n, 9)[4]);
    expect(got.result.verifiedSigners).toHaveLength(2);
    expect(got.result.unverified.settled).toBe(true);
    const latest = await client().getEpochResult(7n, 3n);
    expect(latest.unverified.settled).toBe(false);
  });

  it("pages epochs and a device's history", async () => {
    const page = await client().listEpochs(7n, { limit: 2 });
    expect(page.items.map((e) => e.epoch)).toEqual([3n, 2n]);
    expect(page.nextCursor).toBe("2");
    const rest = await client().listEpochs(7n, { limit: 2, cursor: "2" });
    expect(rest.items.map((e) => e.epoch)).toEqual([1n]);
    expect(rest.nextCursor).toBeNull();
    const history = await client().getDeviceHistory(7n, deviceId(1), { limit: 2 });
    expect(history.items.map((i) => i.unverified.line.epoch)).toEqual([3n, 2n]);
    expect(history.items[1]!.unverified.settled).toBe(true);
    const older = await client().getDeviceHistory(7n, deviceId(1), { limit: 2, cursor: history.nextCursor! });
    expect(older.items.map((i) => i.unverified.line.epoch)).toEqual([1n]);
    expect(older.items[0]!.unverified.resultRoot).toBe(store.getEpochResult(7n, 1n)!.resultRoot);
    // Each history line comes with its proof up to its epoch's root.
    const served = (await (
      await fetch(`${server.url}/v1/networks/7/devices/${deviceId(1)}/history`)
    ).json()) as {
      items: { line: DeviceLineJson; leaf: Hex; proof: Hex[]; resultRoot: Hex }[];
    };
    for (const item of served.items)
      verifyLineProof(item.resultRoot, {
        line: deviceLineFromJson(item.line),
        leaf: item.leaf,
        proof: item.proof,
      });
    expect(await (await fetch(`${server.url}/v1/networks`)).json()).toEqual({ items: [{ networkId: "7" }] });
    expect((await fetch(`${server.url}/v1/networks/8/epochs`)).status).toBe(404);
  });

  it("serves the same proofs from remembered trees, only while the store holds that root", async () => {
    const plain = createStoreFeedSource(store);
    const cached = createStoreFeedSource(store, { cachedTrees: 2 });
    for (const epoch of [1n, 2n, 3n]) {
      const lines = generateLines(7n, epoch, 9);
      cached.rememberTree(
        { networkId: 7n, epoch, resultRoot: store.getEpochResult(7n, epoch)!.resultRoot, lines },
        buildTree(lines),
      );
    }
    for (const epoch of [1n, 3n]) {
      const fromStore = await plain.getDeviceLine(7n, epoch, deviceId(6));
      expect(await cached.getDeviceLine(7n, epoch, deviceId(6))).toEqual({
        ...fromStore,
        line: { ...fromStore!.line, deviceId: deviceId(6) },
      });
    }
    expect(await cached.getDeviceLine(7n, 2n, deviceId(99))).toBeUndefined();

    // A tree whose root the store does not hold is ignored: the store answers.
    const other = generateLines(7n, 1n, 4);
    const stale = createStoreFeedSource(store);
    const otherTree = buildTree(other);
    stale.rememberTree(
      { networkId: 7n, epoch: 1n, resultRoot: otherTree.nodes[0]!, lines: other },
      otherTree,
    );
    expect(await stale.getDeviceLine(7n, 1n, deviceId(6))).toEqual(
      await plain.getDeviceLine(7n, 1n, deviceId(6)),
    );

    expect(() =>
      stale.rememberTree(
        { networkId: 7n, epoch: 2n, resultRoot: `0x${"11".repeat(32)}`, lines: other },
        otherTree,
      ),
    ).toThrow(TypeError);
  });
});

describe("feed over a pruned store", () => {
  it("answers 410 EPOCH_PRUNED naming the retention for pruned epochs, 404 for epochs it never had", async () => {
    const d = mkdtempSync(join(tmpdir(), "vigil-feed-pruned-"));
    const pruned = Store.open({ dataDir: d });
    try {
      const writer = await createEpochWriter({ devices: 3 });
      for (let e = 0n; e < 12n; e++) writer.writeEpoch(pruned, 7n, e);
      createRetention(pruned, { retentionEpochs: 8 }, { logger: pino({ level: "silent" }) }).settled(7n, 10n);
      const app = createFeedApp(createStoreFeedSource(pruned), { rateLimit: false });
      const device = pruned.getLines(7n, 5n)[0]!.deviceId;

      for (const path of ["/v1/networks/7/epochs/2", `/v1/networks/7/epochs/2/devices/${device}`]) {
        const res = await app.request(path);
        expect(res.status).toBe(410);
        const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
        expect(body.error).toEqual({
          code: "EPOCH_PRUNED",
          message:
            "epoch 2 of network 7 was pruned by this node's store retention (it keeps the last 8 settled epochs); the oldest epoch it may still serve is 3",
          details: { prunedBefore: "3", retentionEpochs: 8 },
        });
      }
      expect((await app.request("/v1/networks/7/epochs/3")).status).toBe(200);
      expect((await app.request(`/v1/networks/7/epochs/3/devices/${device}`)).status).toBe(200);
      // Not pruned, just unknown: still 404 (a future epoch, another network, a device without a line).
      expect((await app.request("/v1/networks/7/epochs/40")).status).toBe(404);
      expect((await app.request("/v1/networks/8/epochs/2")).status).toBe(404);
      expect((await app.request(`/v1/networks/7/epochs/3/devices/0x${"ee".repeat(32)}`)).status).toBe(404);
      // Pages and history simply start at the horizon.
      const page = (await (await app.request("/v1/networks/7/epochs?limit=100")).json()) as {
        items: { epoch: string }[];
      };
      expect(page.items.at(-1)!.epoch).toBe("3");

      const doc = (await (await app.request(OPENAPI_PATH)).json()) as {
        paths: Record<string, { get: { responses: Record<string, { description: string }> } }>;
      };
      for (const path of [
        "/v1/networks/{networkId}/epochs/{epoch}",
        "/v1/networks/{networkId}/epochs/{epoch}/devices/{deviceId}",
      ])
        expect(doc.paths[path]!.get.responses["410"]!.description).toMatch(/EPOCH_PRUNED.*retention_epochs/);
    } finally {
      pruned.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
