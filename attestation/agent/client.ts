import { bytesToHex, hexToBytes } from "../bytes";
import { type DeviceGateway, GatewayError, type GatewayInfo, type TicketAnswer } from "./gateway";
import { decodePoll, POLL_SCHEME } from "./poll";

export interface HttpGatewayOptions {
  /** Per-request timeout beyond any long-poll wait, ms (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The socket error under fetch's bare "fetch failed" (undici puts it in `cause`). */
const socketErrorOf = (err: unknown) =>
  err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
const STALE_SOCKET = new Set(["UND_ERR_SOCKET", "ECONNRESET"]);
const isStaleSocket = (err: unknown): boolean => STALE_SOCKET.has(socketErrorOf(err)?.code ?? "");
/** TLS verification failures of the node's certificate (OpenSSL's codes and Node's name check). */
const UNTRUSTED_CERT = /CERT|SELF_SIGNED|UNABLE_TO_(GET_ISSUER|VERIFY_LEAF)/;

const DECIMAL = /^[0-9]{1,20}$/;

/**
 * `GET /v1/info`'s JSON. Fields added later (`heartbeatIntervalMs`, `epochEndMs`) may be absent (an
 * older node); any field present but malformed is a PROTOCOL error naming it.
 */
function parseInfo(j: unknown): GatewayInfo {
  const o = (typeof j === "object" && j !== null ? j : {}) as Record<string, unknown>;
  const uint = (field: string): bigint => {
    const v = o[field];
    if (typeof v !== "string" || !DECIMAL.test(v))
      throw new GatewayError("PROTOCOL", `info: ${field} is not a decimal string`);
    return BigInt(v);
  };
  const info: GatewayInfo = { networkId: uint("networkId"), epoch: uint("epoch"), nowMs: uint("nowMs") };
  const interval = o.heartbeatIntervalMs;
  if (interval !== undefined) {
    if (typeof interval !== "number" || !Number.isSafeInteger(interval) || interval <= 0)
      throw new GatewayError("PROTOCOL", "info: heartbeatIntervalMs is not a positive integer");
    info.heartbeatIntervalMs = interval;
  }
  if (o.epochEndMs !== undefined) info.epochEndMs = uint("epochEndMs");
  if (o.nodeKey !== undefined) {
    if (typeof o.nodeKey !== "string" || !/^[0-9a-f]{64}$/.test(o.nodeKey))
      throw new GatewayError("PROTOCOL", "info: nodeKey is not 32 bytes of hex");
    info.nodeKey = hexToBytes(o.nodeKey);
  }
  return info;
}

/** The `{ ticket }` answer to a registration or heartbeat: 32 bytes of hex, or a PROTOCOL error. */
function parseTicket(j: unknown, what: string): TicketAnswer {
  const ticket = (typeof j === "object" && j !== null ? j : {}) as { ticket?: unknown };
  if (typeof ticket.ticket !== "string" || !/^[0-9a-f]{64}$/.test(ticket.ticket))
    throw new GatewayError("PROTOCOL", `${what}: ticket is not 32 bytes of hex`);
  return { ticket: hexToBytes(ticket.ticket) };
}

/**
 * A request's signal: aborted by its timeout or by the caller's (long-lived) signal. Not
 * `AbortSignal.any`: each call of it registers a dependant on the caller's signal that Node only
 * drops at garbage collection, and a device agent polling for hours with one signal spent most of
 * its CPU walking that list (measured: 40 of 85 s in the verdicts bench). The listener on the
 * caller's signal is removed once the request's body is read or it failed (`release`).
 */
function requestSignal(timeoutMs: number, outer?: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    timeoutMs,
  );
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

/** Device-side `DeviceGateway` over HTTP, against a node's `createGatewayRouter` mount at `baseUrl`. */
export function httpGateway(baseUrl: string, opts: HttpGatewayOptions = {}): DeviceGateway {
  const f = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const base = baseUrl.replace(/\/$/, "");

  async function call(path: string, init: RequestInit & { extraMs?: number } = {}): Promise<Response> {
    const { signal, release } = requestSignal(timeoutMs + (init.extraMs ?? 0), init.signal ?? undefined);
    let res: Response;
    try {
      res = await f(`${base}${path}`, { ...init, signal }).catch((err: unknown) => {
        // A pooled keep-alive socket the node closed just as we reused it ("other side closed",
        // a reset): the request never reached the handler, so one fresh try is safe. Every call is
        // idempotent on the node anyway (signed messages, de-duplicated).
        if (!isStaleSocket(err)) throw err;
        return f(`${base}${path}`, { ...init, signal });
      });
    } catch (cause) {
      release();
      const inner = socketErrorOf(cause);
      const why = !inner
        ? ""
        : UNTRUSTED_CERT.test(inner.code ?? "")
          ? ` (${inner.code}: ${inner.message}: the node's TLS certificate is not trusted; for a private CA set tls_ca_file)`
          : ` (${inner.code ?? inner.message})`;
      throw new GatewayError(
        "UNAVAILABLE",
        `${path}: ${cause instanceof Error ? cause.message : String(cause)}${why}`,
        { cause },
      );
    }
    let body: ArrayBuffer;
    try {
      // Read here, under the request's own timeout, so the signal is released with the request.
      body = await res.arrayBuffer();
    } catch (cause) {
      throw new GatewayError(
        "UNAVAILABLE",
        `${path}: body: ${cause instanceof Error ? cause.message : cause}`,
        {
          cause,
        },
      );
    } finally {
      release();
    }
    // A 204 (response) must be rebuilt without a body: Response rejects one.
    if (res.ok)
      return new Response(res.status === 204 ? null : body, { status: res.status, headers: res.headers });
    let detail = `${res.status}`;
    try {
      const j = JSON.parse(new TextDecoder().decode(body)) as { error?: string; check?: string };
      detail = `${j.error ?? res.status}: ${j.check ?? ""}`;
    } catch {
      // a non-JSON error body: the status is all there is
    }
    throw new GatewayError(
      res.status === 404
        ? "NOT_FOUND"
        : res.status === 429
          ? "RATE_LIMITED"
          : res.status >= 500
            ? "UNAVAILABLE"
            : "REJECTED",
      detail,
    );
  }
  const post = (path: string, body: Uint8Array) =>
    call(path, {
      method: "POST",
      body: body as Uint8Array<ArrayBuffer>,
      headers: { "content-type": "application/octet-stream" },
    });

  return {
    async info(): Promise<GatewayInfo> {
      return parseInfo(await (await call("/v1/info")).json());
    },
    async register(b) {
      return parseTicket(await (await post("/v1/register", b)).json(), "register");
    },
    async heartbeat(b) {
      return parseTicket(await (await post("/v1/heartbeat", b)).json(), "heartbeat");
    },
    async pollChallenges(poll, waitMs, signal) {
      const claimed = decodePoll(poll);
      if (!claimed.ok) throw new GatewayError("PROTOCOL", `poll: ${claimed.error.message}`);
      const res = await call(
        `/v1/challenges/${bytesToHex(claimed.value.deviceId)}?wait=${Math.floor(waitMs)}`,
        {
          signal,
          extraMs: waitMs,
          headers: { authorization: `${POLL_SCHEME} ${bytesToHex(poll)}` },
        },
      );
      const j = (await res.json()) as { challenges?: unknown };
      if (!Array.isArray(j.challenges)) throw new GatewayError("PROTOCOL", "challenges: not a list");
      return j.challenges.map((h) => {
        if (typeof h !== "string" || !/^[0-9a-f]*$/.test(h) || h.length % 2)
          throw new GatewayError("PROTOCOL", "challenges: not hex");
        return hexToBytes(h);
      });
    },
    async commit(b) {
      const j = (await (await post("/v1/commit", b)).json()) as { salt?: unknown };
      if (typeof j.salt !== "string" || !/^[0-9a-f]{64}$/.test(j.salt))
        throw new GatewayError("PROTOCOL", "commit: salt");
      return { salt: hexToBytes(j.salt) };
    },
    async respond(b) {
      await post("/v1/response", b);
    },
    async payload(request) {
      return new Uint8Array(await (await post("/v1/payload", request)).arrayBuffer());
    },
  };
}
