import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { SettlementState } from "../settlement/index";
import { createBaseApp, json, type ListenerModules, uint } from "./createBaseApp";
import { ApiError } from "./errors";

/** What the admin listener asks of the rest of the node; the composition root binds these. */
export interface AdminModules extends ListenerModules {
  /** Operator bearer token for `/admin/*`. */
  adminToken: string;
  /** Node identity and per-network progress, for `/admin/status` and `vigil node status`. */
  status(): Promise<NodeStatus>;
  peers(): { peerId: string; addrs: string[]; score: number }[];
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

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The admin listener (`[admin]`, 127.0.0.1 by default): Prometheus `/metrics` and the `/admin/*`
 * endpoints behind the operator's bearer token. Kept off the public listeners because the token
 * travels in plain HTTP and the metrics name peers, devices and load (docs/operator.md, "Listeners").
 */
export function createAdminApp(modules: AdminModules) {
  const app = createBaseApp(modules, "admin");

  app.get("/metrics", async (c) =>
    c.body(await modules.metrics.registry.metrics(), 200, {
      "content-type": modules.metrics.registry.contentType,
    }),
  );

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
      .parse(await jsonBody(c));
    const outcome = await modules.fraudSlash(networkId, body.evidence.toLowerCase() as Hex);
    return json(c, outcome, outcome.ok ? 200 : 503);
  });
  app.route("/admin", admin);
  return app;
}

/** The request's JSON body; a body that is not JSON is a 400 saying so (not an empty body for zod to puzzle over). */
async function jsonBody(c: { req: { json(): Promise<unknown> } }): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (e) {
    throw new ApiError(
      400,
      "BAD_REQUEST",
      `request body is not JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
