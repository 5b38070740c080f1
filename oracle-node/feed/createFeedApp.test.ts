import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { beforeAll, describe, expect, it } from "vitest";
import { LINE_LEAF_TYPES } from "../../contracts/lines";
import { createFeedApp } from "./createFeedApp";
import { createFeedFixture, deviceId, type FeedFixture } from "./fixture";
import type { DeviceHistoryPageJson, DeviceLineProofJson, EpochPageJson, EpochResultJson } from "./schemas";

let fx: FeedFixture;
beforeAll(async () => {
  fx = await createFeedFixture({ epochs: [1n, 2n, 3n, 4n, 5n], devices: 12 });
});

const noLimit = () => createFeedApp(fx.source, { rateLimit: false });

describe("feed API", () => {
  it("serves an epoch result with bigints as decimal strings and its votes", async () => {
    const res = await noLimit().request("/v1/networks/1/epochs/3");
    expect(res.status).toBe(200);
    const body = (await res.json()) as EpochResultJson;
    const expected = fx.results.get(3n)!;
    expect(body.resultRoot).toBe(expected.resultRoot);
    expect(body.totalReward).toBe(expected.totalReward.toString());
    expect(body.deviceCount).toBe(12);
    expect(body.votes).toHaveLength(3);
    expect(body.observationsCommitment).toBe(expected.observationsCommitment);
  });

  it("serves a device line whose proof verifies against the root", async () => {
    const id = deviceId(5);
    const res = await noLimit().request(`/v1/networks/1/epochs/2/devices/${id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as DeviceLineProofJson;
    const l = body.line;
    const values = [l.networkId, l.epoch, l.deviceId, l.owner, l.uptimeBps, l.work, l.reward, l.slash];
    expect(StandardMerkleTree.verify(body.result.resultRoot, [...LINE_LEAF_TYPES], values, body.proof)).toBe(
      true,
    );
    expect(body.result.resultRoot).toBe(fx.results.get(2n)!.resultRoot);
  });

  it("pages epochs newest first with a cursor", async () => {
    const app = noLimit();
    const first = (await (await app.request("/v1/networks/1/epochs?limit=2")).json()) as EpochPageJson;
    expect(first.items.map((e) => e.epoch)).toEqual(["5", "4"]);
    expect(first.nextCursor).toBe("4");
    const second = (await (
      await app.request(`/v1/networks/1/epochs?limit=2&cursor=${first.nextCursor}`)
    ).json()) as EpochPageJson;
    expect(second.items.map((e) => e.epoch)).toEqual(["3", "2"]);
    const last = (await (
      await app.request("/v1/networks/1/epochs?limit=2&cursor=2")
    ).json()) as EpochPageJson;
    expect(last.items.map((e) => e.epoch)).toEqual(["1"]);
    expect(last.nextCursor).toBeNull();
  });

  it("pages a device's history", async () => {
    const res = await noLimit().request(`/v1/networks/1/devices/${deviceId(3)}/history?limit=3`);
    const body = (await res.json()) as DeviceHistoryPageJson;
    expect(body.items.map((i) => i.line.epoch)).toEqual(["5", "4", "3"]);
    expect(body.items[0]!.resultRoot).toBe(fx.results.get(5n)!.resultRoot);
    expect(body.nextCursor).toBe("3");
  });

  it.each([
    ["/v1/networks/abc/epochs", "networkId"],
    ["/v1/networks/18446744073709551616/epochs", "uint64"],
    ["/v1/networks/01/epochs", "leading zeros"],
    ["/v1/networks/1/epochs?limit=0", "limit"],
    ["/v1/networks/1/epochs?limit=101", "limit"],
    ["/v1/networks/1/epochs?limit=1.5", "integer"],
    ["/v1/networks/1/epochs?cursor=-1", "cursor"],
    ["/v1/networks/1/epochs/x", "epoch"],
    ["/v1/networks/1/epochs/1/devices/0x1234", "64 hex"],
    [`/v1/networks/1/devices/${"0x".padEnd(66, "g")}/history`, "deviceId"],
    ["/v1/networks/1/verdicts/stream?deviceId=nope", "deviceId"],
  ])("rejects %s with 400 and a message", async (path, fragment) => {
    const res = await noLimit().request(path);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("INVALID_PARAMETER");
    expect(body.error.message).toContain(fragment);
  });

  it("answers 404 with a code for unknown epochs, devices and routes", async () => {
    const app = noLimit();
    const epoch = await app.request("/v1/networks/1/epochs/99");
    expect(epoch.status).toBe(404);
    expect(((await epoch.json()) as { error: { code: string } }).error.code).toBe("EPOCH_NOT_FOUND");
    const device = await app.request(`/v1/networks/1/epochs/1/devices/${deviceId(999)}`);
    expect(((await device.json()) as { error: { code: string } }).error.code).toBe("DEVICE_NOT_FOUND");
    // A line of an epoch without a result says so, not that the device is unknown.
    const lineEpoch = await app.request(`/v1/networks/1/epochs/99/devices/${deviceId(1)}`);
    expect(lineEpoch.status).toBe(404);
    expect(((await lineEpoch.json()) as { error: { message: string } }).error).toMatchObject({
      code: "EPOCH_NOT_FOUND",
      message: "no result for epoch 99 of network 1",
    });
    const route = await app.request("/v1/nope");
    expect(route.status).toBe(404);
    expect(((await route.json()) as { error: { code: string } }).error.code).toBe("ROUTE_NOT_FOUND");
  });

  it("lists its networks and answers 404 NETWORK_NOT_FOUND for any other, on every network route", async () => {
    const app = noLimit();
    const list = await app.request("/v1/networks");
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ items: [{ networkId: "1" }] });
    for (const path of [
      "/v1/networks/2/epochs",
      "/v1/networks/2/epochs/1",
      `/v1/networks/2/epochs/1/devices/${deviceId(1)}`,
      `/v1/networks/2/devices/${deviceId(1)}/history`,
      "/v1/networks/2/verdicts/stream",
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: unknown }).error).toEqual({
        code: "NETWORK_NOT_FOUND",
        message: "network 2 is not served by this node; GET /v1/networks lists the ones it serves",
      });
    }
  });

  it("rate limits per client with 429 and Retry-After, without affecting other clients", async () => {
    const app = createFeedApp(fx.source, {
      rateLimit: { burst: 3, perSecond: 0.5, maxClients: 100 },
      clientKey: (c) => c.req.header("x-test-client") ?? "none",
    });
    const get = (client: string) =>
      app.request("/v1/networks/1/epochs", { headers: { "x-test-client": client } });
    for (let i = 0; i < 3; i++) expect((await get("a")).status).toBe(200);
    const limited = await get("a");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    expect((await get("b")).status).toBe(200);
  });

  it("answers 500 INTERNAL without leaking a failing source's message, and logs it", async () => {
    const logged: unknown[] = [];
    const app = createFeedApp(
      {
        ...fx.source,
        getEpochResult: async () => {
          throw new Error("database is locked: /var/lib/vigil/secret.db");
        },
      },
      { rateLimit: false, logger: { error: (obj: object) => logged.push(obj) } },
    );
    const res = await app.request("/v1/networks/1/epochs/1");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
    expect(text).not.toContain("secret");
    expect(logged).toHaveLength(1);
  });

  it("serves its OpenAPI document and reference page", async () => {
    const app = noLimit();
    const doc = (await (await app.request("/v1/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/networks",
        "/v1/networks/{networkId}/epochs",
        "/v1/networks/{networkId}/epochs/{epoch}",
        "/v1/networks/{networkId}/epochs/{epoch}/devices/{deviceId}",
        "/v1/networks/{networkId}/devices/{deviceId}/history",
        "/v1/networks/{networkId}/verdicts/stream",
      ]),
    );
    const page = await app.request("/v1/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/v1/openapi.json");
    // Offline: the page loads its script from this node, and nothing from another host.
    const scripts = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(["/v1/docs/assets/standalone.js"]);
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z0-9.-]+\.[a-z]{2,}\//i);
    const script = await app.request("/v1/docs/assets/standalone.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect((await script.text()).length).toBeGreaterThan(1_000_000);
  });

  // The verdict stream (signed events, ids, resume) is tested in verdictStream.test.ts.
});
