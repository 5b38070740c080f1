import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToHex, type Hex, keccak256, toHex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../store/index";
import { createFeedApp } from "./createFeedApp";
import { FraudEvidenceJson } from "./responseSchemas";
import { createStoreFeedSource } from "./storeSource";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const DEVICE = `0x${"ab".repeat(32)}` as Hex;
const bytes = new TextEncoder().encode("an evidence bundle's bytes");
const hash = keccak256(bytes);

function appOverStore() {
  const dir = mkdtempSync(join(tmpdir(), "vigil-feed-evidence-"));
  dirs.push(dir);
  const store = Store.open({ dataDir: dir });
  store.saveFraudEvidence({ networkId: 1n, epoch: 5n, deviceId: DEVICE, evidenceHash: hash, bytes });
  store.saveFraudEvidence({ networkId: 1n, epoch: 1n, deviceId: DEVICE, evidenceHash: hash, bytes });
  const app = createFeedApp(createStoreFeedSource(store, { networks: [1n] }), { rateLimit: false });
  return { store, app };
}

describe("GET /v1/networks/{networkId}/epochs/{epoch}/evidence/{evidenceHash}", () => {
  it("serves a bundle the node keeps, by its hash, in the documented shape", async () => {
    const { store, app } = appOverStore();
    const res = await app.request(
      `/v1/networks/1/epochs/5/evidence/${hash.toUpperCase().replace("0X", "0x")}`,
    );
    expect(res.status).toBe(200);
    const body = FraudEvidenceJson.parse(await res.json());
    expect(body).toEqual({
      networkId: "1",
      epoch: "5",
      deviceId: DEVICE,
      evidenceHash: hash,
      evidence: bytesToHex(bytes),
    });
    store.close();
  });

  it("answers 404 EVIDENCE_NOT_FOUND for another hash or epoch, 400 for a malformed hash, 410 once pruned", async () => {
    const { store, app } = appOverStore();
    const code = async (path: string) => {
      const res = await app.request(path);
      return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    };
    expect(await code(`/v1/networks/1/epochs/5/evidence/${keccak256(toHex("other"))}`)).toEqual([
      404,
      "EVIDENCE_NOT_FOUND",
    ]);
    expect(await code(`/v1/networks/1/epochs/6/evidence/${hash}`)).toEqual([404, "EVIDENCE_NOT_FOUND"]);
    expect(await code("/v1/networks/1/epochs/5/evidence/0x12")).toEqual([400, "INVALID_PARAMETER"]);
    expect(await code(`/v1/networks/2/epochs/5/evidence/${hash}`)).toEqual([404, "NETWORK_NOT_FOUND"]);
    store.prune(1n, 3n, { retentionEpochs: 2 });
    expect(await code(`/v1/networks/1/epochs/1/evidence/${hash}`)).toEqual([410, "EPOCH_PRUNED"]);
    expect((await app.request(`/v1/networks/1/epochs/5/evidence/${hash}`)).status).toBe(200);
    store.close();
  });

  it("is in the OpenAPI document with its response schema", async () => {
    const { store, app } = appOverStore();
    const doc = (await (await app.request("/v1/openapi.json")).json()) as {
      paths: Record<string, { get: { responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, unknown> };
    };
    const route = doc.paths["/v1/networks/{networkId}/epochs/{epoch}/evidence/{evidenceHash}"];
    expect(Object.keys(route!.get.responses)).toEqual(
      expect.arrayContaining(["200", "400", "404", "410", "429"]),
    );
    expect(doc.components.schemas.FraudEvidence).toBeDefined();
    store.close();
  });
});
