import type { z } from "zod";
import { MalformedResponseError, NodeResponseError, NodeUnreachableError } from "./errors";

export interface FetchFeedOptions {
  timeoutMs: number;
  fetch: typeof fetch;
  signal?: AbortSignal;
}

/** GETs one feed path from one node and validates the body; every failure is a typed client error. */
export async function fetchFeed<S extends z.ZodType>(
  node: string,
  path: string,
  schema: S,
  options: FetchFeedOptions,
): Promise<z.infer<S>> {
  const url = new URL(path, node.endsWith("/") ? node : `${node}/`).href;
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(url, {
      signal: AbortSignal.any(signals),
      headers: { accept: "application/json" },
    });
    text = await response.text();
  } catch (cause) {
    throw new NodeUnreachableError(node, cause);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    if (!response.ok) throw new NodeResponseError(node, response.status, undefined, text.slice(0, 200));
    throw new MalformedResponseError(node, "body is not JSON");
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new NodeResponseError(
      node,
      response.status,
      typeof error?.code === "string" ? error.code : undefined,
      typeof error?.message === "string" ? error.message : text.slice(0, 200),
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new MalformedResponseError(
      node,
      parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    );
  return parsed.data;
}
