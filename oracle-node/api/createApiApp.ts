import type { Hono } from "hono";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { createBaseApp, json, type ListenerModules, uint } from "./createBaseApp";

/** What the public feed API asks of the rest of the node; the composition root binds these. */
export interface ApiModules extends ListenerModules {
  /** Assignment inputs and result of a network's epoch (current one when `epoch` is omitted). */
  assignment(query: { networkId: bigint; epoch?: bigint; deviceId?: Hex }): Promise<AssignmentView>;
  /**
   * Sub-apps mounted at the root: the feed (`/v1/...`), and the device gateway (`/device/...`) when
   * it has no listener of its own (`[gateway]` without a port).
   */
  mounts?: { path: string; app: Hono }[];
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

const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { message: "expected 32 bytes of 0x-prefixed hex" })
  .transform((s) => s.toLowerCase() as Hex);

/**
 * The node's public API (`[api]`): health, readiness, assignment, and the mounted feed. Metrics and
 * `/admin` are not here: they live on the admin listener (`createAdminApp`), loopback by default.
 */
export function createApiApp(modules: ApiModules) {
  const app = createBaseApp(modules, "api");

  app.get("/assignment/:networkId", async (c) => {
    const networkId = uint.parse(c.req.param("networkId"));
    const query = z.strictObject({ epoch: uint.optional(), device: bytes32.optional() }).parse(c.req.query());
    return json(c, await modules.assignment({ networkId, epoch: query.epoch, deviceId: query.device }));
  });

  for (const mount of modules.mounts ?? []) app.route(mount.path, mount.app);
  return app;
}

export type ApiApp = ReturnType<typeof createApiApp>;
