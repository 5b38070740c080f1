import { getConnInfo } from "@hono/node-server/conninfo";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Hex } from "viem";
import type { ZodError } from "zod";
import { FeedApiError, FeedErrorCode } from "./errors";
import { defaultFeedAppOptions, type FeedAppOptions } from "./options";
import { TokenBuckets } from "./rateLimit";
import {
  DeviceHistoryPageJson,
  DeviceLineParams,
  DeviceLineProofJson,
  DeviceParams,
  EpochPageJson,
  EpochParams,
  EpochResultJson,
  ErrorJson,
  NetworkParams,
  NetworksJson,
  pageQuery,
  StreamQuery,
} from "./schemas";
import type { FeedSource, VerdictEvent } from "./source";
import {
  deviceLineProofToJson,
  epochResultToJson,
  epochSummaryToJson,
  historyItemToJson,
  verdictEventToJson,
} from "./toJson";

export const OPENAPI_PATH = "/v1/openapi.json";
export const DOCS_PATH = "/v1/docs";

const errorResponses = {
  400: { description: "malformed parameter", content: { "application/json": { schema: ErrorJson } } },
  429: {
    description: "rate limited; retry after `Retry-After` seconds",
    content: { "application/json": { schema: ErrorJson } },
  },
};
const notFound = {
  description:
    "`NETWORK_NOT_FOUND` (a network this node does not serve), `EPOCH_NOT_FOUND` (no result for the epoch) or, for a line, `DEVICE_NOT_FOUND` (the epoch has a result without this device)",
  content: { "application/json": { schema: ErrorJson } },
};
const gone = {
  description:
    "`EPOCH_PRUNED`: the epoch is older than this node's store retention (`store.retention_epochs` settled epochs) and was deleted; `details.prunedBefore` is the oldest epoch it may still hold. The root stays on chain; ask a node that keeps more history for lines and proofs.",
  content: { "application/json": { schema: ErrorJson } },
};

function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

function describeIssues(error: ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ");
}

function defaultClientKey(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // Not served by @hono/node-server (e.g. `app.request` in tests): all such callers share a bucket.
    return "local";
  }
}

/**
 * The feed API every node serves under `/v1`: epochs, results with their votes, device lines with
 * Merkle proofs, device history, a verdict stream, the OpenAPI document and its reference page.
 */
export function createFeedApp(source: FeedSource, options: Partial<FeedAppOptions> = {}): Hono {
  const opts: FeedAppOptions = { ...defaultFeedAppOptions, ...options };
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success)
        return c.json(errorBody(FeedErrorCode.InvalidParameter, describeIssues(result.error)), 400);
    },
  });

  app.onError((err, c) => {
    if (err instanceof FeedApiError) return c.json(errorBody(err.code, err.message, err.details), err.status);
    // Do not leak internals to callers; the operator's log gets the details.
    if (opts.logger) opts.logger.error({ err, path: c.req.path }, "feed: unexpected error");
    else console.error("feed: unexpected error", err);
    return c.json(errorBody(FeedErrorCode.Internal, "internal error"), 500);
  });
  app.notFound((c) =>
    c.json(errorBody(FeedErrorCode.RouteNotFound, `no route ${c.req.method} ${c.req.path}`), 404),
  );

  if (opts.rateLimit) {
    const buckets = new TokenBuckets(opts.rateLimit);
    const keyOf = opts.clientKey ?? defaultClientKey;
    app.use("/v1/*", async (c, next) => {
      const decision = buckets.take(keyOf(c));
      if (!decision.ok) {
        c.header("Retry-After", String(decision.retryAfterSeconds));
        return c.json(
          errorBody(
            FeedErrorCode.RateLimited,
            `rate limit exceeded; retry in ${decision.retryAfterSeconds}s`,
          ),
          429,
        );
      }
      await next();
    });
  }

  const PageQuery = pageQuery(opts.maxPageSize, opts.defaultPageSize);

  /** Throws 410 when the source pruned the epoch, so a caller knows not to retry this node for it. */
  const refusePruned = async (networkId: bigint, epoch: bigint) => {
    const r = await source.retention?.(networkId);
    if (!r || epoch >= r.prunedBefore) return;
    const kept = r.retentionEpochs === null ? "" : ` (it keeps the last ${r.retentionEpochs} settled epochs)`;
    throw new FeedApiError(
      FeedErrorCode.EpochPruned,
      `epoch ${epoch} of network ${networkId} was pruned by this node's store retention${kept}; the oldest epoch it may still serve is ${r.prunedBefore}`,
      { prunedBefore: r.prunedBefore.toString(), retentionEpochs: r.retentionEpochs },
    );
  };

  /** 404 for a network the source does not serve, so a typo is not mistaken for "no results yet". */
  const requireNetwork = async (networkId: bigint) => {
    if (!source.listNetworks) return;
    const networks = await source.listNetworks();
    if (!networks.includes(networkId))
      throw new FeedApiError(
        FeedErrorCode.NetworkNotFound,
        `network ${networkId} is not served by this node; GET /v1/networks lists the ones it serves`,
      );
  };
  const networkNotFound = {
    description: "`NETWORK_NOT_FOUND`: a network this node does not serve (see `GET /v1/networks`)",
    content: { "application/json": { schema: ErrorJson } },
  };

  const app2 = app
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/networks",
        summary: "The networks this node serves",
        responses: {
          200: {
            description: "network ids, ascending",
            content: { "application/json": { schema: NetworksJson } },
          },
          404: {
            description: "`ROUTE_NOT_FOUND`: this node's source cannot list its networks",
            content: { "application/json": { schema: ErrorJson } },
          },
          ...errorResponses,
        },
      }),
      async (c) => {
        if (!source.listNetworks)
          throw new FeedApiError(FeedErrorCode.RouteNotFound, "this node does not list its networks");
        const networks = await source.listNetworks();
        return c.json({ items: networks.map((n) => ({ networkId: n.toString() })) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/networks/{networkId}/epochs",
        summary: "Epochs of a network with an agreed result, newest first",
        request: { params: NetworkParams, query: PageQuery },
        responses: {
          200: {
            description: "a page of epochs",
            content: { "application/json": { schema: EpochPageJson } },
          },
          404: networkNotFound,
          ...errorResponses,
        },
      }),
      async (c) => {
        const { networkId } = c.req.valid("param");
        const { limit, cursor } = c.req.valid("query");
        await requireNetwork(BigInt(networkId));
        const page = await source.listEpochs(BigInt(networkId), {
          limit,
          ...(cursor === undefined ? {} : { before: BigInt(cursor) }),
        });
        const retention = await source.retention?.(BigInt(networkId));
        return c.json(
          {
            items: page.items.map(epochSummaryToJson),
            nextCursor: page.next?.toString() ?? null,
            prunedBefore: retention?.prunedBefore.toString() ?? null,
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/networks/{networkId}/epochs/{epoch}",
        summary: "An epoch's agreed result: root, commitment, totals, slashes and the oracle votes",
        request: { params: EpochParams },
        responses: {
          200: { description: "the result", content: { "application/json": { schema: EpochResultJson } } },
          404: notFound,
          410: gone,
          ...errorResponses,
        },
      }),
      async (c) => {
        const { networkId, epoch } = c.req.valid("param");
        await requireNetwork(BigInt(networkId));
        const result = await source.getEpochResult(BigInt(networkId), BigInt(epoch));
        if (!result) {
          await refusePruned(BigInt(networkId), BigInt(epoch));
          throw new FeedApiError(
            FeedErrorCode.EpochNotFound,
            `no result for epoch ${epoch} of network ${networkId}`,
          );
        }
        return c.json(epochResultToJson(result), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/networks/{networkId}/epochs/{epoch}/devices/{deviceId}",
        summary: "A device's verified line with its Merkle proof and the votes over the result root",
        request: { params: DeviceLineParams },
        responses: {
          200: {
            description: "line, leaf, proof and result",
            content: { "application/json": { schema: DeviceLineProofJson } },
          },
          404: notFound,
          410: gone,
          ...errorResponses,
        },
      }),
      async (c) => {
        const { networkId, epoch, deviceId } = c.req.valid("param");
        await requireNetwork(BigInt(networkId));
        const found = await source.getDeviceLine(BigInt(networkId), BigInt(epoch), deviceId as Hex);
        if (!found) {
          await refusePruned(BigInt(networkId), BigInt(epoch));
          if (!(await source.getEpochResult(BigInt(networkId), BigInt(epoch))))
            throw new FeedApiError(
              FeedErrorCode.EpochNotFound,
              `no result for epoch ${epoch} of network ${networkId}`,
            );
          throw new FeedApiError(
            FeedErrorCode.DeviceNotFound,
            `device ${deviceId} has no line in epoch ${epoch} of network ${networkId}`,
          );
        }
        return c.json(deviceLineProofToJson(found), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/v1/networks/{networkId}/devices/{deviceId}/history",
        summary: "A device's lines across epochs, newest first",
        request: { params: DeviceParams, query: PageQuery },
        responses: {
          200: {
            description: "a page of lines, each with its leaf and Merkle proof up to `resultRoot`",
            content: { "application/json": { schema: DeviceHistoryPageJson } },
          },
          404: networkNotFound,
          ...errorResponses,
        },
      }),
      async (c) => {
        const { networkId, deviceId } = c.req.valid("param");
        await requireNetwork(BigInt(networkId));
        const { limit, cursor } = c.req.valid("query");
        const page = await source.getDeviceHistory(BigInt(networkId), deviceId as Hex, {
          limit,
          ...(cursor === undefined ? {} : { before: BigInt(cursor) }),
        });
        return c.json(
          { items: page.items.map(historyItemToJson), nextCursor: page.next?.toString() ?? null },
          200,
        );
      },
    );

  let openStreams = 0;
  app2.openapi(
    createRoute({
      method: "get",
      path: "/v1/networks/{networkId}/verdicts/stream",
      summary: "Server-sent events: per-device verdicts as the node reaches them, provisional until settled",
      description:
        "Events `verdict` (a device's uptime, work and slash, with `provisional: true` until the epoch settles) and `settled` (the epoch's root is on chain; fetch lines with proofs). A reader that falls more than the buffer behind is disconnected and should reconnect.",
      request: { params: NetworkParams, query: StreamQuery },
      responses: {
        200: {
          description: "an event stream",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
        404: networkNotFound,
        503: { description: "too many streams", content: { "application/json": { schema: ErrorJson } } },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { networkId } = c.req.valid("param");
      const { deviceId } = c.req.valid("query");
      await requireNetwork(BigInt(networkId));
      if (openStreams >= opts.maxStreams)
        throw new FeedApiError(
          FeedErrorCode.TooManyStreams,
          `the node serves at most ${opts.maxStreams} streams`,
        );
      openStreams++;
      const wanted = deviceId?.toLowerCase();
      return streamSSE(c, async (stream) => {
        const queue: VerdictEvent[] = [];
        let overflow = false;
        let wake: (() => void) | undefined;
        const unsubscribe = source.subscribeVerdicts(BigInt(networkId), (event) => {
          if (event.type === "verdict" && wanted && event.deviceId.toLowerCase() !== wanted) return;
          if (queue.length >= opts.streamBuffer) overflow = true;
          else queue.push(event);
          wake?.();
        });
        stream.onAbort(() => wake?.());
        let id = 0;
        try {
          await stream.write(": connected\n\n");
          while (!stream.aborted && !stream.closed && !overflow) {
            for (let event = queue.shift(); event; event = queue.shift())
              await stream.writeSSE({
                event: event.type,
                id: String(id++),
                data: JSON.stringify(verdictEventToJson(event)),
              });
            const timedOut = await new Promise<boolean>((resolve) => {
              const timer = setTimeout(() => resolve(true), opts.streamKeepAliveSeconds * 1000);
              wake = () => {
                clearTimeout(timer);
                resolve(false);
              };
            });
            wake = undefined;
            if (timedOut) await stream.write(": keep-alive\n\n");
          }
          if (overflow)
            await stream.writeSSE({ event: "overflow", data: JSON.stringify({ reconnect: true }) });
        } finally {
          unsubscribe();
          openStreams--;
        }
      });
    },
  );

  app2.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: opts.title,
      version: opts.version,
      description:
        "Verified epoch results of DePIN networks. Every node serves the same data; verify it with the oracle votes and Merkle proofs (see docs/consumers.md) instead of trusting the node.",
    },
  });
  app2.get(DOCS_PATH, Scalar({ url: OPENAPI_PATH, pageTitle: opts.title }));
  // A plain Hono type so the node mounts it like any sub-app (`app.route("/", feed)`).
  return app2 as unknown as Hono;
}
