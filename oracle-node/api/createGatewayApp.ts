import type { Hono } from "hono";
import { createBaseApp, type ListenerModules } from "./createBaseApp";

export interface GatewayModules extends ListenerModules {
  /** The intake's device gateway routers (`/device/<network>/...`, and `/device/...` for the first). */
  mounts: { path: string; app: Hono }[];
}

/** The device gateway's own listener (`[gateway]` with a port): probes and `/device/...`, nothing else. */
export function createGatewayApp(modules: GatewayModules) {
  const app = createBaseApp(modules, "gateway");
  for (const mount of modules.mounts) app.route(mount.path, mount.app);
  return app;
}
