import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import { z } from "zod";
import type { NodeMetrics } from "../metrics";
import { ApiError, errorBody } from "./errors";

/** What every listener asks of the node: logging, HTTP metrics and the readiness probe. */
export interface ListenerModules {
  logger: Logger;
  metrics: NodeMetrics;
  /** Named readiness checks (e.g. chain, p2p, store); ready when all are true. */
  readiness(): Promise<Record<string, boolean>>;
}

/** The node's three listeners; each routes only its own paths (docs/operator.md, "Listeners"). */
export type ListenerName = "api" | "gateway" | "admin";

export const uint = z
  .string()
  .regex(/^\d{1,20}$/, { message: "expected a non-negative integer" })
  .transform((s) => BigInt(s))
  .refine((v) => v < 2n ** 64n, { message: "expected a uint64" });

/** JSON with bigints as decimal strings: ids and amounts exceed 2^53. */
export function json(c: Context, value: unknown, status: 200 | 503 = 200) {
  return c.body(
    JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    status,
    { "content-type": "application/json" },
  );
}

function describeZod(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
}

/**
 * What every listener shares: one `onError` (every error is `{ error: { code, message } }`), JSON
 * 404s, HTTP metrics, a 1 MiB body limit, and the `/health` and `/ready` probes, so a load balancer
 * or an orchestrator can probe each port on its own.
 */
export function createBaseApp(modules: ListenerModules, listener: ListenerName) {
  const log = modules.logger.child({ module: "api", listener });
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
  // Nothing a listener accepts is large; the device gateway sets its own tighter limits.
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

  return app;
}
