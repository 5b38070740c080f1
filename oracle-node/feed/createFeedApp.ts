import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { Context, Hono } from "hono";
import { compress } from "hono/compress";
import { streamSSE } from "hono/streaming";
import { bytesToHex, type Hex } from "viem";
import { toJSONSchema, type ZodError } from "zod";
import { LINE_LEAF_TYPES } from "../../contracts/portable";
import { FeedApiError, FeedErrorCode } from "./errors";
import { defaultFeedAppOptions, type FeedAppOptions } from "./options";
import { TokenBuckets } from "./rateLimit";
import { readDeviceReliability } from "./readDeviceReliability";
import { SLA_UPTIME_BPS } from "./reliability";
import {
  DeviceHistoryPageJson,
  DeviceLineParams,
  DeviceLineProofJson,
  DevicePageJson,
  DeviceParams,
  DeviceReliabilityJson,
  devicesQuery,
  EpochPageJson,
  EpochParams,
  EpochResultJson,
  ErrorJson,
  EvidenceParams,
  EXPORT_FORMAT,
  ExportHeaderJson,
  ExportRowJson,
  FraudEvidenceJson,
  NetworkParams,
  NetworksJson,
  pageQuery,
  ReliabilityQuery,
  StreamQuery,
} from "./schemas";
import type { FeedSource } from "./source";
import {
  deviceLineProofToJson,
  epochResultToJson,
  epochSummaryToJson,
  exportRowToJson,
  historyItemToJson,
} from "./toJson";
import type { StreamRecord } from "./verdictJournal";

export const OPENAPI_PATH = "/v1/openapi.json";
export const DOCS_PATH = "/v1/docs";
/** The API reference page's script (Scalar's standalone bundle, from node_modules). */
export const DOCS_SCRIPT_PATH = "/v1/docs/assets/standalone.js";

let standalone: Buffer | undefined;
/** Scalar's standalone bundle (~5 MB), read on first use; its package exports no path to it, so it is found beside the package's entry. */
function docsScript(): Buffer {
  standalone ??= readFileSync(
    join(
      dirname(createRequire(import.meta.url).resolve("@scalar/api-reference")),
      "browser",
      "standalone.js",
    ),
  );
  return standalone;
}

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
 * `Last-Event-ID` as this node sends it (`<epoch>:<seq>`): the sequence to resume after. A header that
 * is not one (too long, malformed) is refused with a 400 rather than silently restarting the stream.
 */
function parseLastEventId(header: string | undefined): bigint | undefined {
  if (header === undefined || header === "") return undefined;
  const m = header.length <= 41 ? /^(\d{1,20}):(\d{1,19})$/.exec(header) : null;
  if (!m)
    throw new FeedApiError(
      FeedErrorCode.InvalidParameter,
      "Last-Event-ID: expected `<epoch>:<seq>` as this node sent it (decimal, at most 20 and 19 digits)",
    );
  return BigInt(m[2]!);
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
  const DevicesQuery = devicesQuery(opts.maxDevicePageSize, opts.defaultDevicePageSize);
  // Exports are NDJSON, which hono's default filter does not list; gzip roughly halves them (hex).
  app.use(
    "/v1/networks/:networkId/epochs/:epoch/export",
    compress({ contentTypeFilter: /^application\/x-ndjson/ }),
  );

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
      summary: "Server-sent events: signed provisional verdicts during the epoch, then `settled`",
      description:
        "Events `verdict` (one node's signed verdict on one challenge, `provisional: true`: not a settlement, never pay on it) and `settled` (the node saw the epoch's root on chain; fetch lines with proofs and check them), each signed by the node's registered Ethereum signer (EIP-712 `ProvisionalVerdict` / `SettledNotice`, domain `Vigil`/`1`). Ids are `<epoch>:<seq>`, `seq` monotonic per node across restarts: reconnect with `Last-Event-ID` to resume after it, within the node's last events held; older (or another node's) ids get a `reset` event, then the stream goes on from the oldest event held. A reader that falls more than the buffer behind gets `overflow` and is disconnected.",
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
      const wanted = deviceId?.toLowerCase() as Hex | undefined;
      const resumeAfter = parseLastEventId(c.req.header("last-event-id"));
      const verdicts = source.verdicts;
      return streamSSE(c, async (stream) => {
        const queue: StreamRecord[] = [];
        let overflow = false;
        let wake: (() => void) | undefined;
        // Subscribed before the replay is read, so nothing published in between is missed (the
        // replay and the queue overlap; `lastSent` drops the repeats).
        const unsubscribe =
          verdicts?.subscribe(BigInt(networkId), (record) => {
            if (wanted && record.deviceId && record.deviceId !== wanted) return;
            if (queue.length >= opts.streamBuffer) overflow = true;
            else queue.push(record);
            wake?.();
          }) ?? (() => {});
        stream.onAbort(() => wake?.());
        const send = (r: StreamRecord) =>
          stream.writeSSE({ event: r.type, id: `${r.epoch}:${r.seq}`, data: r.body });
        try {
          await stream.write(": connected\n\n");
          let lastSent = verdicts?.bounds().latest ?? 0n;
          if (verdicts && resumeAfter !== undefined) {
            const { oldest, latest } = verdicts.bounds();
            const reset = (reason: "too-old" | "unknown-id", message: string) =>
              stream.writeSSE({
                event: "reset",
                data: JSON.stringify({
                  reason,
                  oldestSeq: ((oldest ?? latest + 1n) - 1n).toString(),
                  latestSeq: latest.toString(),
                  message,
                }),
              });
            lastSent = resumeAfter;
            if (resumeAfter > latest) {
              await reset(
                "unknown-id",
                `event ${resumeAfter} was never sent by this node (its newest is ${latest}); ids are per node: re-read the feed`,
              );
              lastSent = latest;
            } else if (resumeAfter + 1n < (oldest ?? latest + 1n)) {
              await reset(
                "too-old",
                `events after ${resumeAfter} are no longer held (this node keeps the last ${verdicts.resumeEvents}); re-read the feed, then follow from here`,
              );
              lastSent = (oldest ?? latest + 1n) - 1n;
            }
            // Paged, so a resume reads at most the ring, a page at a time.
            for (;;) {
              const page = verdicts.after(BigInt(networkId), lastSent, 256, wanted);
              for (const r of page) {
                await send(r);
                lastSent = r.seq;
              }
              if (page.length < 256 || stream.aborted) break;
            }
          }
          while (!stream.aborted && !stream.closed && !overflow) {
            for (let r = queue.shift(); r; r = queue.shift()) {
              if (r.seq <= lastSent) continue;
              await send(r);
              lastSent = r.seq;
            }
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

  // The NDJSON lines' schemas, as components (`register` wants schemas built with `.openapi()`).
  for (const [id, schema] of [
    ["ExportHeader", ExportHeaderJson],
    ["ExportRow", ExportRowJson],
  ] as const) {
    const { $schema: _, id: _id, ...json } = toJSONSchema(schema, { target: "draft-2020-12" });
    app2.openAPIRegistry.registerComponent("schemas", id, json as never);
  }
  const exportBuckets = opts.exportRateLimit ? new TokenBuckets(opts.exportRateLimit) : undefined;
  const exportKeyOf = opts.clientKey ?? defaultClientKey;
  let openExports = 0;
  app2.openapi(
    createRoute({
      method: "get",
      path: "/v1/networks/{networkId}/epochs/{epoch}/export",
      summary: "An epoch's whole lines file, streamed as NDJSON, to rebuild and check the root",
      description: `Format \`${EXPORT_FORMAT}\` (docs/consumers.md): the first line is an \`ExportHeader\` (the result with its votes, \`leafCount\`, the leaf encoding), then one \`ExportRow\` per device by deviceId ascending, each with its leaf's \`treeIndex\` (StandardMerkleTree dump layout). Hash each row to its leaf, place it at \`treeIndex\` and hash up to the root, or \`StandardMerkleTree.of(rows, leafEncoding).root\`; compare with the signed or on-chain root. Gzip with \`Accept-Encoding: gzip\`. Besides the per-client request limit, exports have their own tighter limit (429) and a node serves a few at once (503 \`TOO_MANY_EXPORTS\`).`,
      request: { params: EpochParams },
      responses: {
        200: {
          description: "the header line, then one row per device",
          // NDJSON has no OpenAPI schema of its own: the lines' schemas are the ExportHeader and ExportRow components.
          content: {
            "application/x-ndjson": {
              schema: {
                type: "string",
                description: "NDJSON: one `ExportHeader` line, then `leafCount` `ExportRow` lines",
              },
            },
          },
        },
        404: notFound,
        410: gone,
        503: {
          description: "`TOO_MANY_EXPORTS`: the node serves its maximum of exports at once",
          content: { "application/json": { schema: ErrorJson } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { networkId, epoch } = c.req.valid("param");
      const [n, e] = [BigInt(networkId), BigInt(epoch)];
      await requireNetwork(n);
      const exportLines = source.exportLines?.bind(source);
      if (!exportLines)
        throw new FeedApiError(FeedErrorCode.RouteNotFound, "this node does not export epochs");
      const result = await source.getEpochResult(n, e);
      if (!result) {
        await refusePruned(n, e);
        throw new FeedApiError(
          FeedErrorCode.EpochNotFound,
          `no result for epoch ${epoch} of network ${networkId}`,
        );
      }
      const decision = exportBuckets?.take(exportKeyOf(c));
      if (decision && !decision.ok && opts.exportRateLimit) {
        const { burst, perSecond } = opts.exportRateLimit;
        c.header("Retry-After", String(decision.retryAfterSeconds));
        throw new FeedApiError(
          FeedErrorCode.RateLimited,
          `export rate limit exceeded (${burst} at once, then one every ${Math.round(1 / perSecond)}s); retry in ${decision.retryAfterSeconds}s`,
          { retryAfterSeconds: decision.retryAfterSeconds },
        );
      }
      if (openExports >= opts.maxExports)
        throw new FeedApiError(
          FeedErrorCode.TooManyExports,
          `the node serves at most ${opts.maxExports} exports at once; retry later`,
        );
      openExports++;
      let open = true;
      const close = () => {
        if (open) openExports--;
        open = false;
      };
      const rows = exportLines(n, e, result.resultRoot)[Symbol.asyncIterator]();
      const encoder = new TextEncoder();
      const header = {
        format: EXPORT_FORMAT,
        leafEncoding: [...LINE_LEAF_TYPES],
        leafCount: result.deviceCount,
        result: epochResultToJson(result),
      };
      // Pull-based: the next chunk is read from the source only when the socket took the last one.
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            controller.enqueue(encoder.encode(`${JSON.stringify(header)}\n`));
          },
          async pull(controller) {
            try {
              const next = await rows.next();
              if (next.done) {
                close();
                controller.close();
                return;
              }
              let text = "";
              for (const row of next.value) text += `${JSON.stringify(exportRowToJson(row))}\n`;
              controller.enqueue(encoder.encode(text));
            } catch (err) {
              close();
              // The status is sent: cut the stream, so the client sees a short export, not a complete one.
              if (opts.logger) opts.logger.error({ err, networkId, epoch }, "feed: export failed");
              else console.error("feed: export failed", err);
              controller.error(err);
            }
          },
          async cancel() {
            close();
            await rows.return?.();
          },
        },
        { highWaterMark: 1 },
      );
      const response = new Response(body, {
        status: 200,
        headers: { "content-type": "application/x-ndjson; charset=utf-8" },
      });
      // @hono/zod-openapi types any `application/*json*` content it cannot parse as JSON (`x-ndjson`)
      // as `never`; the body is a plain stream.
      return response as never;
    },
  );
  app2.openapi(
    createRoute({
      method: "get",
      path: "/v1/networks/{networkId}/devices",
      summary: "The devices with a line in an epoch's result (by default the newest), by deviceId",
      request: { params: NetworkParams, query: DevicesQuery },
      responses: {
        200: {
          description: "a page of devices",
          content: { "application/json": { schema: DevicePageJson } },
        },
        404: notFound,
        410: gone,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { networkId } = c.req.valid("param");
      const { epoch, limit, cursor } = c.req.valid("query");
      const n = BigInt(networkId);
      await requireNetwork(n);
      const listDevices = source.listDevices?.bind(source);
      if (!listDevices)
        throw new FeedApiError(FeedErrorCode.RouteNotFound, "this node does not list devices");
      const e =
        epoch === undefined ? (await source.listEpochs(n, { limit: 1 })).items[0]?.epoch : BigInt(epoch);
      if (e === undefined)
        throw new FeedApiError(
          FeedErrorCode.EpochNotFound,
          `network ${networkId} has no epoch with a result yet`,
        );
      if (!(await source.getEpochResult(n, e))) {
        await refusePruned(n, e);
        throw new FeedApiError(
          FeedErrorCode.EpochNotFound,
          `no result for epoch ${e} of network ${networkId}`,
        );
      }
      const page = await listDevices(n, e, {
        limit,
        ...(cursor === undefined ? {} : { after: cursor as Hex }),
      });
      return c.json({ epoch: e.toString(), items: page.items, nextCursor: page.next }, 200);
    },
  );

  app2.openapi(
    createRoute({
      method: "get",
      path: "/v1/networks/{networkId}/epochs/{epoch}/evidence/{evidenceHash}",
      summary: "A fraud evidence bundle by its hash: what a slash of the epoch was based on",
      description:
        "Keyed by `evidenceHash`, not by device: a node may hold several valid bundles against one device in an epoch (each assigned challenger signs its own), and the chain's `DeviceSlashApplied` names exactly one. Read that hash from the chain, fetch the bundle here, check that it hashes to it and re-verify it with the attestation library against the chain's assignment (the client's `getSlashEvidence`). A node keeps the bundles it verified itself (its own fraud verdicts, bundles from gossip, and those in the observations it computed a result from), at most 16 per device and epoch, for as long as it keeps the epoch.",
      request: { params: EvidenceParams },
      responses: {
        200: {
          description: "the bundle",
          content: { "application/json": { schema: FraudEvidenceJson } },
        },
        404: {
          description:
            "`NETWORK_NOT_FOUND`, or `EVIDENCE_NOT_FOUND`: this node holds no bundle with that hash for the epoch (ask another node)",
          content: { "application/json": { schema: ErrorJson } },
        },
        410: gone,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { networkId, epoch, evidenceHash } = c.req.valid("param");
      const [n, e] = [BigInt(networkId), BigInt(epoch)];
      await requireNetwork(n);
      const held = await source.getEvidence?.(n, e, evidenceHash.toLowerCase() as Hex);
      if (!held) {
        await refusePruned(n, e);
        throw new FeedApiError(
          FeedErrorCode.EvidenceNotFound,
          `this node holds no evidence ${evidenceHash} for epoch ${epoch} of network ${networkId}`,
        );
      }
      return c.json(
        {
          networkId: held.networkId.toString(),
          epoch: held.epoch.toString(),
          deviceId: held.deviceId,
          evidenceHash: held.evidenceHash,
          evidence: bytesToHex(held.bytes),
        },
        200,
      );
    },
  );

  app2.openapi(
    createRoute({
      method: "get",
      path: "/v1/networks/{networkId}/devices/{deviceId}/reliability",
      summary: "A device's reliability score over its network's last W settled epochs",
      description:
        "Computed from the device's history by `computeReliability` (oracle-node/feed/reliability.ts, exported by the client): over the window of the last W epochs up to the newest one this node saw settle, the epochs settled, the epochs with a line, the mean uptime over them, the epochs at or above the SLA uptime (9990 bps), the slashes, and `scoreBps`, the mean uptime over every epoch of the window with absent and timed-out epochs counting 0, and 0 if the device was slashed in the window. The client's `getDeviceReliability` recomputes it from lines proven against the chain's roots and rejects a figure that differs.",
      request: { params: DeviceParams, query: ReliabilityQuery },
      responses: {
        200: {
          description: "the device's reliability",
          content: { "application/json": { schema: DeviceReliabilityJson } },
        },
        404: {
          description:
            "`NETWORK_NOT_FOUND`, or `EPOCH_NOT_FOUND`: no epoch of the network settled yet (a device without any line gets a score of 0, not a 404)",
          content: { "application/json": { schema: ErrorJson } },
        },
        410: gone,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { networkId, deviceId } = c.req.valid("param");
      const { window } = c.req.valid("query");
      const n = BigInt(networkId);
      await requireNetwork(n);
      const r = await readDeviceReliability(source, n, deviceId.toLowerCase() as Hex, window);
      return c.json(
        {
          networkId,
          deviceId: deviceId.toLowerCase(),
          window: r.window,
          fromEpoch: r.fromEpoch.toString(),
          toEpoch: r.toEpoch.toString(),
          epochs: r.epochs,
          epochsSettled: r.epochsSettled,
          epochsWithLine: r.epochsWithLine,
          meanUptimeBps: r.meanUptimeBps,
          epochsAtSla: r.epochsAtSla,
          slaUptimeBps: SLA_UPTIME_BPS,
          slashes: r.slashes,
          scoreBps: r.scoreBps,
        },
        200,
      );
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
  // The reference page's script comes from this node, not a CDN: the page works offline and a
  // reader's browser fetches nothing from a third party. No default fonts (they come from a CDN too).
  app2.get(DOCS_SCRIPT_PATH, (c) =>
    c.body(new Uint8Array(docsScript()), 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=86400",
    }),
  );
  app2.get(
    DOCS_PATH,
    Scalar({ url: OPENAPI_PATH, pageTitle: opts.title, cdn: DOCS_SCRIPT_PATH, withDefaultFonts: false }),
  );
  // A plain Hono type so the node mounts it like any sub-app (`app.route("/", feed)`).
  return app2 as unknown as Hono;
}
