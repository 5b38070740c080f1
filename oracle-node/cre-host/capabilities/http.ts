import { create } from "@bufbuild/protobuf";
import { type Any, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { HTTP_CLIENT_PB } from "@chainlink/cre-sdk/pb";
import { CreHostError } from "../errors";
import type { Capability } from "./types";

export interface HttpActionsOptions {
  /** Largest response body accepted, in bytes (CRE caps HTTP responses; larger is an error). */
  maxResponseBytes: number;
  /** Default and upper bound of a request's timeout, in milliseconds. */
  timeoutMs: number;
  /** What performs the request (default the global fetch); the node passes one that reaches its own API in-process. */
  fetch?: typeof fetch;
}

/** `http-actions@1.0.0-alpha`: the node performs the workflow's HTTP request itself (node mode). */
export function httpActions(opts: HttpActionsOptions): Capability {
  return {
    id: "http-actions@1.0.0-alpha",
    async call(method: string, payload: Any): Promise<Any> {
      if (method !== "SendRequest") {
        throw new CreHostError("CAPABILITY_NOT_FOUND", `http-actions has no method ${method}`);
      }
      const req = anyUnpack(payload, HTTP_CLIENT_PB.RequestSchema);
      if (!req) throw new CreHostError("CAPABILITY_FAILED", "http-actions: payload is not an HTTP request");
      const requested = req.timeout
        ? Number(req.timeout.seconds) * 1000 + req.timeout.nanos / 1e6
        : opts.timeoutMs;
      const headers = new Headers(req.headers);
      for (const [name, values] of Object.entries(req.multiHeaders)) {
        for (const v of values.values) headers.append(name, v);
      }
      const method_ = (req.method || "GET").toUpperCase();
      let res: Response;
      try {
        res = await (opts.fetch ?? fetch)(req.url, {
          method: method_,
          headers,
          body: req.body.length && method_ !== "GET" && method_ !== "HEAD" ? req.body : undefined,
          signal: AbortSignal.timeout(Math.min(requested, opts.timeoutMs)),
          redirect: "follow",
        });
      } catch (cause) {
        throw new CreHostError(
          "CAPABILITY_FAILED",
          `HTTP ${method_} ${req.url} failed: ${(cause as Error).message}`,
          {
            url: req.url,
          },
        );
      }
      const declared = Number(res.headers.get("content-length") ?? "0");
      if (declared > opts.maxResponseBytes) {
        await res.body?.cancel();
        throw new CreHostError(
          "RESPONSE_TOO_LARGE",
          `HTTP response of ${declared} bytes exceeds the ${opts.maxResponseBytes}-byte limit`,
        );
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > opts.maxResponseBytes) {
          throw new CreHostError(
            "RESPONSE_TOO_LARGE",
            `HTTP response exceeds the ${opts.maxResponseBytes}-byte limit`,
          );
        }
        chunks.push(chunk);
      }
      const body = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        body.set(c, at);
        at += c.length;
      }
      const single: Record<string, string> = {};
      const multi: Record<string, { values: string[] }> = {};
      res.headers.forEach((value, name) => {
        single[name] = value;
        const entry = multi[name] ?? { values: [] };
        entry.values.push(value);
        multi[name] = entry;
      });
      return anyPack(
        HTTP_CLIENT_PB.ResponseSchema,
        create(HTTP_CLIENT_PB.ResponseSchema, {
          statusCode: res.status,
          headers: single,
          body,
          multiHeaders: multi,
        }),
      );
    },
  };
}
