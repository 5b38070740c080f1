import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { bytesToHex, hexToBytes } from "../bytes";
import { MAX_MESSAGE_BYTES } from "../constants";
import { AttestationError } from "../errors";
import { type DeviceGateway, GatewayError } from "./gateway";
import { decodePoll, POLL_SCHEME } from "./poll";

export interface GatewayRouterOptions {
  /** Longest long-poll the node holds open, ms (default 25 s, under common proxy idle timeouts). */
  maxWaitMs?: number;
}

const HEX32 = /^(0x)?[0-9a-fA-F]{64}$/;
const POLL_HEADER = new RegExp(`^${POLL_SCHEME} ((?:[0-9a-fA-F]{2}){1,512})$`);
/** A poll that does not parse is a 400; one that parses but fails a check is not authenticated: 401. */
const MALFORMED_POLL = new Set<AttestationError["code"]>([
  "TRUNCATED",
  "TRAILING_BYTES",
  "BAD_MAGIC",
  "MALFORMED",
]);
const GATEWAY_STATUS: Partial<Record<GatewayError["code"], 404 | 429>> = {
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
};
const binary = async (c: { req: { arrayBuffer(): Promise<ArrayBuffer> } }) =>
  new Uint8Array(await c.req.arrayBuffer());

/**
 * HTTP binding of `DeviceGateway` (mount it under e.g. `/device` in the node's API). Bodies are
 * the canonical signed message bytes (`application/octet-stream`); an accepted registration or
 * heartbeat is answered `{ ticket }` (hex, the device's next liveness ticket); rejections are 400
 * `{ error, check }` with the AttestationError code, 429 `{ error: "RATE_LIMITED", check }` over a
 * per-device limit. A challenge poll without a valid signed poll (`Authorization: Vigil-Poll <hex>`)
 * is a 401 naming the failed check (400 if the poll does not parse) and takes nothing.
 */
export function createGatewayRouter(gateway: DeviceGateway, opts: GatewayRouterOptions = {}) {
  const maxWaitMs = opts.maxWaitMs ?? 25_000;
  const limit = bodyLimit({
    maxSize: MAX_MESSAGE_BYTES,
    onError: (c) => c.json({ error: "OVERSIZED", check: `body > ${MAX_MESSAGE_BYTES} bytes` }, 413),
  });
  const app = new Hono()
    .get("/v1/info", async (c) => {
      const i = await gateway.info();
      return c.json({
        networkId: i.networkId.toString(),
        epoch: i.epoch.toString(),
        nowMs: i.nowMs.toString(),
        ...(i.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: i.heartbeatIntervalMs }),
        ...(i.epochEndMs === undefined ? {} : { epochEndMs: i.epochEndMs.toString() }),
        ...(i.nodeKey === undefined ? {} : { nodeKey: bytesToHex(i.nodeKey) }),
      });
    })
    .post("/v1/register", limit, async (c) => {
      const { ticket } = await gateway.register(await binary(c));
      return c.json({ ticket: bytesToHex(ticket) });
    })
    .post("/v1/heartbeat", limit, async (c) => {
      const { ticket } = await gateway.heartbeat(await binary(c));
      return c.json({ ticket: bytesToHex(ticket) });
    })
    .get("/v1/challenges/:deviceId", async (c) => {
      const id = c.req.param("deviceId");
      if (!HEX32.test(id)) return c.json({ error: "MALFORMED", check: "deviceId" }, 400);
      const refuse = (error: AttestationError["code"] | "UNAUTHENTICATED", check: string) =>
        error !== "UNAUTHENTICATED" && MALFORMED_POLL.has(error)
          ? c.json({ error, check }, 400)
          : c.json({ error, check }, 401, { "www-authenticate": POLL_SCHEME });
      const header = POLL_HEADER.exec(c.req.header("authorization") ?? "");
      if (!header) return refuse("UNAUTHENTICATED", `poll: no "Authorization: ${POLL_SCHEME} <hex>" header`);
      const poll = hexToBytes(header[1]!.toLowerCase());
      const claimed = decodePoll(poll);
      if (!claimed.ok) return refuse(claimed.error.code, claimed.error.check);
      if (bytesToHex(claimed.value.deviceId) !== id.replace(/^0x/, "").toLowerCase())
        return refuse(
          "WRONG_DEVICE",
          `poll: signed for device 0x${bytesToHex(claimed.value.deviceId)}, not ${id}`,
        );
      const wait = Math.min(Math.max(Number(c.req.query("wait") ?? 0) || 0, 0), maxWaitMs);
      try {
        const list = await gateway.pollChallenges(poll, wait, c.req.raw.signal);
        return c.json({ challenges: list.map((b) => bytesToHex(b)) });
      } catch (e) {
        if (e instanceof AttestationError) return refuse(e.code, e.check);
        throw e;
      }
    })
    .post("/v1/commit", limit, async (c) => {
      const { salt } = await gateway.commit(await binary(c));
      return c.json({ salt: bytesToHex(salt) });
    })
    .post("/v1/response", limit, async (c) => {
      await gateway.respond(await binary(c));
      return c.body(null, 204);
    })
    .post("/v1/payload", limit, async (c) => {
      const payload = await gateway.payload(await binary(c));
      return c.body(payload as Uint8Array<ArrayBuffer>, 200, { "content-type": "application/octet-stream" });
    });
  app.onError((err, c) => {
    if (err instanceof AttestationError) return c.json({ error: err.code, check: err.check }, 400);
    if (err instanceof GatewayError)
      return c.json({ error: err.code, check: err.check }, GATEWAY_STATUS[err.code] ?? 400);
    return c.json({ error: "INTERNAL", check: "internal error" }, 500);
  });
  return app;
}
