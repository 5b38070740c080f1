import { timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { NodeMetrics } from "../metrics";
import type { SettlementState } from "../settlement/index";
import { ApiError, errorBody } from "./errors";

/** What the API asks of the rest of the node; the composition root binds these to the modules. */
export interface ApiModules {
  logger: Logger;
  metrics: NodeMetrics;
  /** Operator bearer token for `/admin/*`. */
  adminToken: string;
  /** Named readiness checks (e.g. chain, p2p, store); ready when all are true. */
  readiness(): Promise<Record<string, boolean>>;
  /** Node identity and per-network progress, for `/admin/status` and `vigil node status`. */
  status(): Promise<NodeStatus>;
  peers(): { peerId: string; addrs: string[]; score: number }[];
  /** Assignment inputs and result of a network's epoch (current one when `epoch` is omitted). */
  assignment(query: { networkId: bigint; epoch?: bigint; deviceId?: Hex }): Promise<AssignmentView>;
  /** Devnet: close a network's current epoch now rather than at its end time. */
  closeEpoch?(networkId: bigint): Promise<{ epoch: bigint }>;
  /**
   * Runs the fraud-slashing workflow for one evidence bundle (CRE host on). Every DON member must be
   * sent the same evidence: the members run one execution together, keyed by the body's hash.
   */
  fraudSlash?(
    networkId: bigint,
    evidence: Hex,
  ): Promise<{ ok: boolean; executionId: Hex; result?: unknown; error?: string }>;
  /** Sub-apps mounted at the root: the feed (`/v1/...`), the device gateway (`/device/...`). */
  mounts?: { path: string; app: Hono }[];
}

export interface NodeStatus {
  peerId: string;
  signer: Address;
  version: string;
  uptimeSeconds: number;
  chain: { chainId: number; head: bigint | null };
  networks: {
    networkId: bigint;
    epoch: bigint;
    assignedDevices: number;
    lastSettledEpoch: bigint | null;
    /** Following, catching up or stalled (and why): `vigil node status` shows it. */
    settlement?: SettlementState;
  }[];
  peers: number;
  /** The CRE host (on-chain settlement): the DON it joined and the workflows it runs; null when off. */
  cre?: { donId: number; configVersion: number; f: number; members: Address[]; workflows: string[] } | null;
}

export interface AssignmentView {
  networkId: bigint;
  epoch: bigint;
  beacon: Hex;
  k: number;
  nodes: Address[];
  /** Device → its nodes; only the queried device when `deviceId` was given. */
  devices: { deviceId: Hex; nodes: Address[] }[];
}

const uint = z
  .string()
  .regex(/^\d{1,20}$/, { message: "expected a non-negative integer" })
  .transform((s) => BigInt(s))
  .refine((v) => v < 2n ** 64n, { message: "expected a uint64" });
const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { message: "expected 32 bytes of 0x-prefixed hex" })
  .transform((s) => s.toLowerCase() as Hex);

/** JSON with bigints as decimal strings: ids and amounts exceed 2^53. */
function json(c: Context, value: unknown, status: 200 | 503 = 200) {
  return c.body(
    JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    status,
    { "content-type": "application/json" },
  );
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function describeZod(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
}

/**
 * The node's HTTP API: health, readiness, Prometheus metrics, assignment, admin endpoints behind the
 * operator's bearer token, plus the mounted feed and device gateway. Every error is
 * `{ error: { code, message } }`, produced in one `onError`.
 */
export function createApiApp(modules: ApiModules) {
  const log = modules.logger.child({ module: "api" });
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status);
    if (err instanceof z.ZodError) return c.json(errorBody("BAD_REQUEST", describeZod(err)), 400);
    if (err instanceof HTTPException) {
      const code =
        err.status === 413 ? "PAYLOAD_TOO_LARGE" : err.status === 401 ? "UNAUTHORIZED" : "BAD_REQUEST";
      return c.json(errorBody(code, err.message || "bad request"), err.status);
    }
    log.error({ err, path: c.req.path }, "unhandled API error");
    return c.json(errorBody("INTERNAL", "internal error"), 500);
  });
  app.notFound((c) => c.json(errorBody("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`), 404));

  app.use(async (c, next) => {
    const end = modules.metrics.httpDuration.startTimer();
    await next();
    const route = c.req.routePath;
    end({ route });
    modules.metrics.httpRequests.inc({ method: c.req.method, route, status: c.res.status });
  });
  // Nothing this API accepts is large; the device gateway sets its own tighter limits.
  app.use(
    bodyLimit({
      maxSize: 1024 * 1024,
      onError: () => {
        throw new ApiError(413, "PAYLOAD_TOO_LARGE", "request body exceeds 1 MiB");
      },
    }),
  );

  app.get("/health", (c) => c.json({ status: "ok" }));

  app.get("/ready", async (c) => {
    const checks = await modules.readiness();
    const ready = Object.values(checks).every(Boolean);
    return json(c, { ready, checks }, ready ? 200 : 503);
  });

  app.get("/metrics", async (c) =>
    c.body(await modules.metrics.registry.metrics(), 200, {
      "content-type": modules.metrics.registry.contentType,
    }),
  );

  app.get("/assignment/:networkId", async (c) => {
    const networkId = uint.parse(c.req.param("networkId"));
    const query = z.strictObject({ epoch: uint.optional(), device: bytes32.optional() }).parse(c.req.query());
    return json(c, await modules.assignment({ networkId, epoch: query.epoch, deviceId: query.device }));
  });

  const admin = new Hono();
  admin.use(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer (.+)$/.exec(header);
    if (!match || !sameToken(match[1]!, modules.adminToken))
      throw new ApiError(401, "UNAUTHORIZED", "admin endpoints need `Authorization: Bearer <admin_token>`");
    await next();
  });
  admin.get("/status", async (c) => json(c, await modules.status()));
  admin.get("/peers", (c) => json(c, modules.peers()));
  admin.post("/networks/:networkId/close-epoch", async (c) => {
    const networkId = uint.parse(c.req.param("networkId"));
    if (!modules.closeEpoch)
      throw new ApiError(400, "UNSUPPORTED", "forcing an epoch close is only enabled on devnets");
    return json(c, await modules.closeEpoch(networkId));
  });
  admin.post("/networks/:networkId/fraud-slash", async (c) => {
    const networkId = uint.parse(c.req.param("networkId"));
    if (!modules.fraudSlash)
      throw new ApiError(400, "UNSUPPORTED", "this node runs no CRE host (config section [cre])");
    const body = z
      .strictObject({
        evidence: z
          .string()
          .regex(/^0x([0-9a-fA-F]{2})+$/, { message: "expected the evidence bundle as 0x-prefixed hex" }),
      })
      .parse(await c.req.json().catch(() => undefined));
    const outcome = await modules.fraudSlash(networkId, body.evidence.toLowerCase() as Hex);
    return json(c, outcome, outcome.ok ? 200 : 503);
  });
  app.route("/admin", admin);

  for (const mount of modules.mounts ?? []) app.route(mount.path, mount.app);
  return app;
}

export type ApiApp = ReturnType<typeof createApiApp>;
