import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { DevnetEvent, EventLog } from "../events";

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), "public");
// chart.js ships a UMD build beside its ESM entry (its `exports` map hides it, so resolve the entry
// and look next to it): served from node_modules, the page works offline with no bundler.
const CHART_UMD = join(dirname(fileURLToPath(import.meta.resolve("chart.js"))), "chart.umd.min.js");

/** The evidence bundle behind a slash and a fresh verdict from the attestation verifier. */
export type EvidenceLookup = (
  evidenceHash: string,
) => Promise<{ evidence: unknown; verdict: unknown } | undefined>;

export interface DashboardModules {
  log: EventLog;
  evidence?: EvidenceLookup;
}

const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/** The dashboard as a hono app: static page, event history, live events over SSE, evidence. */
export function createDashboardApp({ log, evidence }: DashboardModules): Hono {
  const app = new Hono();
  for (const [path, { file, type }] of Object.entries(STATIC)) {
    app.get(path, (c) => c.body(readFileSync(join(PUBLIC, file)), 200, { "content-type": type }));
  }
  app.get("/vendor/chart.umd.min.js", (c) =>
    c.body(readFileSync(CHART_UMD), 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "max-age=3600",
    }),
  );

  app.get("/api/events", (c) => {
    const since = z.coerce.number().int().min(0).catch(0).parse(c.req.query("since"));
    return c.json(log.since(since));
  });

  // Live updates: replay from `Last-Event-ID` (browser reconnects) or `since`, then stream.
  app.get("/api/stream", (c) => {
    const from = z.coerce
      .number()
      .int()
      .min(0)
      .catch(0)
      .parse(c.req.header("last-event-id") ?? c.req.query("since"));
    return streamSSE(c, async (stream) => {
      const queue: DevnetEvent[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = log.subscribe((event) => {
        queue.push(event);
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      const send = (e: DevnetEvent) => stream.writeSSE({ id: String(e.seq + 1), data: JSON.stringify(e) });
      let next = from;
      for (const e of log.since(from)) {
        await send(e);
        next = e.seq + 1;
      }
      while (!stream.aborted) {
        const e = queue.shift();
        if (!e) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            // A comment line keeps proxies and idle timers from closing a quiet stream.
            setTimeout(resolve, 15_000);
          });
          wake = undefined;
          if (!queue.length && !stream.aborted) await stream.write(": keep-alive\n\n");
          continue;
        }
        if (e.seq < next) continue;
        await send(e);
        next = e.seq + 1;
      }
      unsubscribe();
    });
  });

  app.get("/api/evidence/:hash", async (c) => {
    const hash = c.req.param("hash");
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) return c.json({ error: "evidence hash must be 0x + 64 hex" }, 400);
    if (!evidence) return c.json({ error: "evidence lookup not available in this devnet" }, 404);
    const found = await evidence(hash.toLowerCase());
    if (!found) return c.json({ error: `no evidence with hash ${hash}` }, 404);
    return c.json(found, 200);
  });

  app.onError((err, c) => c.json({ error: err.message }, 500));
  return app;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/** Serves the dashboard on 127.0.0.1 (port 0: any free one). */
export function startDashboard(modules: DashboardModules, port = 0): Promise<Dashboard> {
  const app = createDashboardApp(modules);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}/`,
        close: () =>
          new Promise<void>((done) => {
            // SSE clients hold connections open; drop them so close() returns.
            if ("closeAllConnections" in server) server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
    server.once("error", reject);
  });
}
