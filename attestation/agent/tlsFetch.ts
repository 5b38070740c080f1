import type { IncomingHttpHeaders } from "node:http";
import { Agent, request } from "node:https";
import * as tls from "node:tls";

/** Statuses whose response has no body (a `Response` refuses one). */
const NO_BODY = new Set([101, 204, 205, 304]);

/** The CAs Node trusts by default (with `NODE_EXTRA_CA_CERTS`/system ones where this Node can list them). */
function defaultCAs(): readonly string[] {
  const list = (tls as { getCACertificates?: (type: "default") => string[] }).getCACertificates;
  return list ? list("default") : tls.rootCertificates;
}

function headersOf(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw))
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      headers.append(name, v);
  return headers;
}

/**
 * A `fetch` for `httpGateway` whose `https://` requests also trust `ca` (PEM certificates: an
 * operator's private CA or self-signed certificate), on top of the default CAs, for these requests
 * only; `http://` ones go to the global fetch. Bodies are buffered; failures reject like fetch's
 * (`TypeError("fetch failed")` with the socket or TLS error as `cause`, the signal's reason on abort).
 */
export function caFetch(ca: string | readonly string[]): typeof fetch {
  const secureContext = tls.createSecureContext({
    ca: [...defaultCAs(), ...(typeof ca === "string" ? [ca] : ca)],
  });
  // One pool for every node: keep-alive connections, as the global fetch keeps them.
  const agent = new Agent({ keepAlive: true, secureContext });
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? new Request(input, init) : undefined;
    const url = new URL(req ? req.url : input);
    if (url.protocol !== "https:") return fetch(input, init);
    const raw = req ? req.body : init?.body;
    const body = raw == null ? undefined : Buffer.from(await new Response(raw).arrayBuffer());
    const headers: Record<string, string> = Object.fromEntries(new Headers(req?.headers ?? init?.headers));
    if (body) headers["content-length"] = String(body.length);
    const outer = init?.signal ?? req?.signal;
    return new Promise<Response>((resolve, reject) => {
      if (outer?.aborted) return reject(outer.reason);
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        outer?.removeEventListener("abort", onAbort);
        outcome();
      };
      const fail = (cause: unknown) =>
        finish(() => reject(outer?.aborted ? outer.reason : new TypeError("fetch failed", { cause })));
      const onAbort = () => {
        fail(outer?.reason);
        r.destroy();
      };
      const r = request(url, { method: req?.method ?? init?.method ?? "GET", headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("close", () => res.complete || fail(new Error("the response ended early")));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          finish(() =>
            resolve(
              new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage,
                headers: headersOf(res.headers),
              }),
            ),
          );
        });
      });
      outer?.addEventListener("abort", onAbort, { once: true });
      r.on("error", fail);
      r.end(body);
    });
  }) as typeof fetch;
}
