import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import { ListenError } from "./errors";

export interface ApiServer {
  /** Base URL the server is reachable at, e.g. `http://127.0.0.1:8080` (`https://` with TLS). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServeApiOptions {
  /** Which listener this is, and the config section that sets it (`api`, `gateway`, `admin`), for errors. */
  name?: string;
  host: string;
  port: number;
  /** PEM certificate (chain) and key: serve HTTPS instead of HTTP (`[api.tls]`, `loadTlsCredentials`). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** Serves a hono app over HTTP or HTTPS; port 0 picks a free port (tests). Resolves once it listens. */
export async function serveApi(app: Hono, options: ServeApiOptions): Promise<ApiServer> {
  const { tls } = options;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: options.host,
        port: options.port,
        ...(tls && { createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } }),
      },
      () => resolve(s),
    );
    s.once("error", (err: NodeJS.ErrnoException) => {
      const name = options.name ?? "api";
      reject(
        new ListenError(
          `the ${name} listener cannot listen on ${options.host}:${options.port} (${err.code ?? err.message}); change [${name}] host/port`,
          { listener: name, host: options.host, port: options.port, reason: err.code },
          { cause: err },
        ),
      );
    });
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard listener is reached on loopback; an IPv6 literal goes in brackets.
  const wildcard = options.host === "0.0.0.0" || options.host === "::";
  const host = wildcard ? "127.0.0.1" : options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `${tls ? "https" : "http"}://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // SSE streams would hold the server open; drop idle and active connections on shutdown.
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * A fetch that answers requests under `baseUrl` from `app` in-process and sends the rest to `fetch`.
 * The node's workflows read its own API through it when the API serves TLS: its certificate need
 * not name the loopback address, nor be trusted by this process.
 */
export function inProcessFetch(
  baseUrl: string,
  app: { fetch(request: Request): Response | Promise<Response> },
) {
  const base = baseUrl.replace(/\/$/, "");
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (request.url !== base && !request.url.startsWith(`${base}/`)) return fetch(request);
    return app.fetch(request);
  }) as typeof fetch;
}
