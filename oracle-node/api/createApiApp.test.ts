import { Hono } from "hono";
import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";
import { type AdminModules, createAdminApp } from "./createAdminApp";
import { type ApiModules, createApiApp } from "./createApiApp";
import { createGatewayApp } from "./createGatewayApp";
import { serveApi } from "./serveApi";

const TOKEN = "s3cret-admin-token-0123456789";
const NODE = "0x00000000000000000000000000000000000000aa" as Address;

type Modules = ApiModules & AdminModules;

/** The feed API and the admin app over one set of modules (one registry: the admin serves its metrics). */
function apps(overrides: Partial<Modules> = {}) {
  const closed: bigint[] = [];
  const modules: Modules = {
    logger: createLogger({ level: "silent" }),
    metrics: createNodeMetrics({ defaultMetrics: false }),
    adminToken: TOKEN,
    readiness: async () => ({ chain: true, p2p: true }),
    status: async () => ({
      peerId: "12D3KooWtest",
      signer: NODE,
      version: "0.1.0",
      uptimeSeconds: 5,
      chain: { chainId: 31337, head: 12n },
      networks: [{ networkId: 1n, epoch: 3n, assignedDevices: 2, lastSettledEpoch: null }],
      peers: 0,
    }),
    peers: () => [],
    assignment: async ({ networkId, epoch, deviceId }) => ({
      networkId,
      epoch: epoch ?? 7n,
      beacon: `0x${"00".repeat(32)}` as Hex,
      k: 1,
      nodes: [NODE],
      devices: deviceId ? [{ deviceId, nodes: [NODE] }] : [],
    }),
    closeEpoch: async (networkId) => {
      closed.push(networkId);
      return { epoch: 4n };
    },
    ...overrides,
  };
  return { api: createApiApp(modules), admin: createAdminApp(modules), modules, closed };
}
const app = (overrides: Partial<Modules> = {}) => apps(overrides).api;
const adminApp = (overrides: Partial<Modules> = {}) => {
  const { admin, closed } = apps(overrides);
  return { app: admin, closed };
};

const auth = { authorization: `Bearer ${TOKEN}` };

describe("node API", () => {
  it("serves health and readiness, and Prometheus metrics on the admin listener", async () => {
    const { api: a, admin } = apps();
    expect(await (await a.request("/health")).json()).toEqual({ status: "ok" });
    const ready = await a.request("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { chain: true, p2p: true } });
    const metrics = await admin.request("/metrics");
    expect(metrics.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await metrics.text();
    expect(text).toContain("vigil_http_requests_total");
    expect(text).toMatch(/vigil_http_requests_total\{method="GET",route="\/ready",status="200"\} 1/);
  });

  it("answers 503 while a readiness check fails", async () => {
    const a = app({ readiness: async () => ({ chain: false, p2p: true }) });
    const res = await a.request("/ready");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, checks: { chain: false, p2p: true } });
  });

  it("serves an assignment, with bigints as strings, and validates the query", async () => {
    const a = app();
    const device = `0x${"ab".repeat(32)}`;
    const res = await a.request(`/assignment/1?epoch=18446744073709551615&device=${device}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      networkId: "1",
      epoch: "18446744073709551615",
      devices: [{ deviceId: device, nodes: [NODE] }],
    });
    for (const bad of [
      "/assignment/x",
      "/assignment/1?epoch=-1",
      "/assignment/1?epoch=18446744073709551616",
      "/assignment/1?device=0x12",
      "/assignment/1?evil=1",
    ]) {
      const r = await a.request(bad);
      expect(r.status, bad).toBe(400);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("BAD_REQUEST");
      expect(body.error.message.length).toBeGreaterThan(0);
    }
  });

  it("guards admin endpoints with the operator token", async () => {
    const { app: a, closed } = adminApp();
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: TOKEN }] as Record<
      string,
      string
    >[]) {
      const res = await a.request("/admin/status", { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    }
    const status = await a.request("/admin/status", { headers: auth });
    expect(await status.json()).toMatchObject({ peerId: "12D3KooWtest", chain: { head: "12" } });
    expect(await (await a.request("/admin/peers", { headers: auth })).json()).toEqual([]);
    const close = await a.request("/admin/networks/9/close-epoch", { method: "POST", headers: auth });
    expect(await close.json()).toEqual({ epoch: "4" });
    expect(closed).toEqual([9n]);
    const { app: prod } = adminApp({ closeEpoch: undefined });
    const refused = await prod.request("/admin/networks/9/close-epoch", { method: "POST", headers: auth });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: "UNSUPPORTED" } });
  });

  it("refuses a fraud-slash body that is not JSON, or not an evidence hex, saying which", async () => {
    const posted: string[] = [];
    const { app: a } = adminApp({
      fraudSlash: async (_n, evidence) => {
        posted.push(evidence);
        return { ok: true, executionId: "0x00" };
      },
    });
    const post = (body: string) =>
      a.request("/admin/networks/1/fraud-slash", {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body,
      });
    const notJson = await post("{evidence: 0x12");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({
      error: { code: "BAD_REQUEST", message: expect.stringMatching(/^request body is not JSON: /) },
    });
    const notHex = await post(JSON.stringify({ evidence: "0x1" }));
    expect(notHex.status).toBe(400);
    expect(JSON.stringify(await notHex.json())).toContain("expected the evidence bundle as 0x-prefixed hex");
    expect(posted).toEqual([]);
    expect((await post(JSON.stringify({ evidence: "0xAB12" }))).status).toBe(200);
    expect(posted).toEqual(["0xab12"]);
  });

  it("answers unknown routes, oversized bodies and internal failures as JSON errors", async () => {
    const { app: a } = adminApp({
      status: async () => {
        throw new Error("disk on fire");
      },
    });
    const missing = await a.request("/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "NOT_FOUND", message: "no route GET /nope" } });
    const big = await a.request("/admin/networks/1/close-epoch", {
      method: "POST",
      headers: { ...auth, "content-length": String(2 * 1024 * 1024) },
      body: "x".repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    const failed = await a.request("/admin/status", { headers: auth });
    expect(failed.status).toBe(500);
    // Internals are logged, not leaked.
    expect(await failed.json()).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
  });

  it("mounts sub-apps (feed, device gateway) and serves over real HTTP", async () => {
    const feed = new Hono().get("/v1/ping", (c) => c.json({ pong: true }));
    const a = app({ mounts: [{ path: "/", app: feed }] });
    const server = await serveApi(a, { host: "127.0.0.1", port: 0 });
    try {
      expect(await (await fetch(`${server.url}/v1/ping`)).json()).toEqual({ pong: true });
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it("each listener routes only its own paths", async () => {
    const feed = new Hono().get("/v1/networks", (c) => c.json([]));
    const device = new Hono().get("/v1/info", (c) => c.json({ device: true }));
    const { api, admin, modules } = apps({ mounts: [{ path: "/", app: feed }] });
    const gateway = createGatewayApp({ ...modules, mounts: [{ path: "/device", app: device }] });
    const listeners = { api, gateway, admin } as const;
    const own: Record<keyof typeof listeners, string[]> = {
      api: ["/v1/networks", "/assignment/1"],
      gateway: ["/device/v1/info"],
      admin: ["/metrics", "/admin/status"],
    };
    for (const [name, listener] of Object.entries(listeners)) {
      // The probes are on every listener, so each port can be checked on its own.
      for (const probe of ["/health", "/ready"])
        expect((await listener.request(probe)).status, `${name} ${probe}`).toBe(200);
      for (const [owner, paths] of Object.entries(own))
        for (const path of paths) {
          const res = await listener.request(path, { headers: auth });
          expect(res.status, `${path} on ${name}`).toBe(owner === name ? 200 : 404);
          if (owner !== name) expect(await res.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
        }
    }
  });
});
