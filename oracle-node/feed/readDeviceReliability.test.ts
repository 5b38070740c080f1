import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Hex, keccak256, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { buildLinesTree } from "../../contracts/lines";
import { treeNodesFromHex } from "../agreement/linesTree";
import { Store } from "../store/index";
import { createFeedApp } from "./createFeedApp";
import { createReliabilityFixture, deviceId, generateLines } from "./fixture";
import { createMemoryFeedSource } from "./memorySource";
import type { DeviceReliabilityJson } from "./schemas";
import type { FeedSource } from "./source";
import { createStoreFeedSource } from "./storeSource";

let fx: Awaited<ReturnType<typeof createReliabilityFixture>>;
beforeAll(async () => {
  fx = await createReliabilityFixture();
});

const get = async (source: FeedSource, device: string, query = "") => {
  const res = await createFeedApp(source, { rateLimit: false }).request(
    `/v1/networks/1/devices/${device}/reliability${query}`,
  );
  return {
    status: res.status,
    body: (await res.json()) as DeviceReliabilityJson & { error?: { code: string; message: string } },
  };
};

describe("GET /v1/networks/{id}/devices/{deviceId}/reliability", () => {
  it("scores a device over the last settled epochs: absent and timed-out ones count 0", async () => {
    const { status, body } = await get(fx.source, fx.steady);
    expect(status).toBe(200);
    // Epochs 0..4 (5 is not settled): 2 timed out, 3 has no line of the device.
    expect(body).toEqual({
      networkId: "1",
      deviceId: fx.steady,
      window: 30,
      fromEpoch: "0",
      toEpoch: "4",
      epochs: 5,
      epochsSettled: 4,
      epochsWithLine: 3,
      meanUptimeBps: 8330,
      epochsAtSla: 2,
      slaUptimeBps: 9990,
      slashes: 0,
      scoreBps: 4998,
    });
  });

  it("covers only the window asked for", async () => {
    const { body } = await get(fx.source, fx.steady, "?window=2");
    expect(body).toMatchObject({
      fromEpoch: "3",
      toEpoch: "4",
      epochs: 2,
      epochsSettled: 2,
      epochsWithLine: 1,
    });
    expect(body).toMatchObject({ meanUptimeBps: 5000, scoreBps: 2500 });
  });

  it("scores 0 for a slash in the window, and for a device without any line", async () => {
    expect((await get(fx.source, fx.slashed)).body).toMatchObject({
      slashes: 1,
      scoreBps: 0,
      epochsWithLine: 4,
    });
    expect((await get(fx.source, fx.slashed, "?window=3")).body).toMatchObject({
      slashes: 0,
      scoreBps: 6000,
    });
    expect((await get(fx.source, deviceId(9, "nobody"))).body).toMatchObject({
      epochsWithLine: 0,
      meanUptimeBps: null,
      scoreBps: 0,
    });
  });

  it("refuses a window outside 1..720 with INVALID_PARAMETER naming it", async () => {
    for (const q of ["?window=0", "?window=721", "?window=2.5", "?window=x"]) {
      const { status, body } = await get(fx.source, fx.steady, q);
      expect(status).toBe(400);
      expect(body.error).toMatchObject({
        code: "INVALID_PARAMETER",
        message: expect.stringContaining("window"),
      });
    }
    expect((await get(fx.source, "0x1234")).status).toBe(400);
  });

  it("answers 404 for a network not served or without a settled epoch, 410 for a window below retention", async () => {
    const res = await createFeedApp(fx.source, { rateLimit: false }).request(
      `/v1/networks/2/devices/${fx.steady}/reliability`,
    );
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NETWORK_NOT_FOUND");

    const young = createMemoryFeedSource();
    young.publishEpoch({
      networkId: 1n,
      epoch: 0n,
      observationsCommitment: keccak256(toHex("young")),
      lines: generateLines(1n, 0n, 2),
      settled: false,
    });
    const none = await get(young, fx.steady);
    expect(none.status).toBe(404);
    expect(none.body.error?.code).toBe("EPOCH_NOT_FOUND");

    const pruned: FeedSource = {
      ...fx.source,
      retention: async () => ({ prunedBefore: 1n, retentionEpochs: 4 }),
    };
    const gone = await get(pruned, fx.steady);
    expect(gone.status).toBe(410);
    expect(gone.body.error?.code).toBe("EPOCH_PRUNED");
    expect((await get(pruned, fx.steady, "?window=4")).status).toBe(200);
  });

  it("is in the OpenAPI document with its schema", async () => {
    const doc = (await (
      await createFeedApp(fx.source, { rateLimit: false }).request("/v1/openapi.json")
    ).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
      components: { schemas: Record<string, unknown> };
    };
    const route = doc.paths["/v1/networks/{networkId}/devices/{deviceId}/reliability"];
    expect(route?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(["networkId", "deviceId", "window"]),
    );
    expect(doc.components.schemas.DeviceReliability).toBeDefined();
  });

  it("gives the same figure over the node's SQLite store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-reliability-"));
    const store = Store.open({ dataDir: dir });
    try {
      for (const [epoch, lines] of fx.lines) {
        const tree = buildLinesTree(lines);
        const dump = tree.dump();
        const result = fx.results.get(epoch)!;
        store.saveResult(
          { ...result, resultRoot: tree.root as Hex, lines, observations: [] },
          { nodes: treeNodesFromHex(dump.tree as Hex[]), treeIndex: dump.values.map((v) => v.treeIndex) },
        );
      }
      const source = createStoreFeedSource(store, { isSettled: (_n, e) => e <= 4n, networks: [1n] });
      for (const [device, query] of [
        [fx.steady, ""],
        [fx.steady, "?window=2"],
        [fx.slashed, ""],
      ] as const)
        expect((await get(source, device, query)).body).toEqual((await get(fx.source, device, query)).body);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
