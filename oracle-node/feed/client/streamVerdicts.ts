import type { Address, Hex } from "viem";
import type { z } from "zod";
import { type ActiveSigners, createActiveSigners, type SignerRefreshOptions } from "./activeSigners";
import {
  InvalidStreamEventError,
  MalformedResponseError,
  NodeResponseError,
  NodeUnreachableError,
  SignersUnavailableError,
} from "./errors";
import {
  ProvisionalVerdictJson,
  ResetEventJson,
  SettledEventJson,
  streamEventProblem,
  type VerifyStreamEventParameters,
} from "./streamEvents";

/** An event from a node's verdict stream, validated and (with `verify`) signature-checked. */
export type StreamedVerdict =
  /** One node's signed verdict on one challenge: provisional, never a settlement; do not pay on it. */
  | { type: "verdict"; id: string; event: ProvisionalVerdictJson }
  /** The node saw the epoch's root on chain: fetch and verify the lines (`getDeviceLine`, `onChain`). */
  | { type: "settled"; id: string; event: SettledEventJson }
  /** Resume was impossible (id too old, or not this node's): re-read the feed, then go on from here. */
  | { type: "reset"; event: ResetEventJson }
  /** The reader fell behind and the node closed the stream (reconnected at once with `reconnect`). */
  | { type: "overflow" };

export interface StreamVerdictsOptions {
  deviceId?: Hex;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Resume after this event id (`<epoch>:<seq>`, the `id` of the last event handled). */
  lastEventId?: string;
  /**
   * Checks each event's EIP-712 signature against the deployment (and, with `signers`, that the
   * signer is an active registered oracle); an event that fails throws `InvalidStreamEventError`.
   * With `refreshSigners`, the list is read again from the chain when an event's signer is not in it
   * or it has grown old (rate-limited, see `SignerRefreshOptions`), so signers added or removed in the
   * registry while the stream runs are accepted or rejected. `false` skips the check (the events are
   * then the node's unchecked word).
   */
  verify: (VerifyStreamEventParameters & { refreshSigners?: SignerRefreshOptions }) | false;
  /**
   * Reconnects with `Last-Event-ID` when the connection drops or the node sends `overflow`, waiting
   * `backoffMs` (doubling, at most 30 s) between failed attempts, giving up after `retries` in a row.
   */
  reconnect?: { retries?: number; backoffMs?: number };
}

// An SSE event is one signed JSON object of a few hundred bytes; anything larger is not this API.
const MAX_EVENT_BYTES = 16 * 1024;

/**
 * Reads `GET /v1/networks/{networkId}/verdicts/stream` from one node until `signal` aborts or the node
 * closes it (and, with `reconnect`, resumes where it left off). Each event is validated; with
 * `verify`, each `verdict` and `settled` must carry a valid signature of its signer.
 */
export async function* streamVerdicts(
  node: string,
  networkId: bigint,
  options: StreamVerdictsOptions,
): AsyncGenerator<StreamedVerdict> {
  const url = new URL(`v1/networks/${networkId}/verdicts/stream`, node.endsWith("/") ? node : `${node}/`);
  if (options.deviceId) url.searchParams.set("deviceId", options.deviceId);
  let lastEventId = options.lastEventId;
  // One list for the whole stream, across reconnects, so the refresh rate limit holds for all of them.
  const verify = options.verify || undefined;
  const active = verify?.signers ? createActiveSigners(verify.signers, verify.refreshSigners) : undefined;
  const retries = options.reconnect?.retries ?? 5;
  let failures = 0;
  for (;;) {
    let ended: "closed" | "overflow" | "error" = "closed";
    let error: unknown;
    try {
      for await (const item of readOnce(node, url, networkId, lastEventId, options, active)) {
        failures = 0;
        if (item.type === "verdict" || item.type === "settled") lastEventId = item.id;
        if (item.type === "overflow") ended = "overflow";
        yield item;
      }
    } catch (err) {
      // A check that failed is final; only a lost connection is worth another try.
      if (!(err instanceof NodeUnreachableError) || options.signal?.aborted || !options.reconnect) throw err;
      ended = "error";
      error = err;
    }
    if (!options.reconnect || options.signal?.aborted) return;
    if (ended !== "overflow" && ++failures > retries)
      throw error ?? new NodeUnreachableError(node, "stream ended");
    const wait = Math.min(30_000, (options.reconnect.backoffMs ?? 250) * 2 ** Math.max(0, failures - 1));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ended === "overflow" ? 0 : wait);
      options.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (options.signal?.aborted) return;
  }
}

async function* readOnce(
  node: string,
  url: URL,
  networkId: bigint,
  lastEventId: string | undefined,
  options: StreamVerdictsOptions,
  active: ActiveSigners | undefined,
): AsyncGenerator<StreamedVerdict> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { accept: "text/event-stream", ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (cause) {
    throw new NodeUnreachableError(node, cause);
  }
  if (!response.ok || !response.body) {
    const text = await response.text();
    throw new NodeResponseError(node, response.status, undefined, text.slice(0, 500));
  }
  const decoder = new TextDecoder();
  let buffer = "";
  const parse = <T>(schema: z.ZodType<T>, data: string, id: string | undefined): T => {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw new MalformedResponseError(node, `stream event ${id ?? ""}: not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new MalformedResponseError(
        node,
        `stream event ${id ?? ""}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    return parsed.data;
  };
  const check = async (event: ProvisionalVerdictJson | SettledEventJson, id: string | undefined) => {
    if (event.networkId !== networkId.toString())
      throw new InvalidStreamEventError(node, id, `network ${event.networkId}, asked for ${networkId}`);
    if (id !== `${event.epoch}:${event.seq}`)
      throw new InvalidStreamEventError(
        node,
        id,
        `id does not match the signed epoch ${event.epoch} and seq ${event.seq}`,
      );
    if (
      event.type === "verdict" &&
      options.deviceId &&
      event.deviceId.toLowerCase() !== options.deviceId.toLowerCase()
    )
      throw new InvalidStreamEventError(node, id, `device ${event.deviceId}, asked for ${options.deviceId}`);
    if (options.verify === false) return;
    const { chainId, settlement } = options.verify;
    const problem = await streamEventProblem(event, { chainId, settlement });
    if (problem) throw new InvalidStreamEventError(node, id, problem);
    // The signature recovers to `event.signer`: now whether that signer is active (maybe read again).
    if (active && !(await active.isActive(event.signer as Address)))
      throw new InvalidStreamEventError(
        node,
        id,
        `signer ${event.signer} is not an active registered oracle`,
      );
  };
  let lastSeq = -1n;
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        const id = /^id: ?(.*)$/m.exec(block)?.[1];
        const data = block
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
        if (!event || !data) continue;
        if (event === "overflow") {
          yield { type: "overflow" };
          return;
        }
        if (event === "reset") {
          yield { type: "reset", event: parse(ResetEventJson, data, id) };
          continue;
        }
        if (event !== "verdict" && event !== "settled") continue; // a kind this client does not know yet
        const parsed =
          event === "verdict" ? parse(ProvisionalVerdictJson, data, id) : parse(SettledEventJson, data, id);
        await check(parsed, id);
        // Sequence numbers only grow on one node: a repeat or a step back is a replay.
        const seq = BigInt(parsed.seq);
        if (seq <= lastSeq) throw new InvalidStreamEventError(node, id, `seq ${seq} after ${lastSeq}`);
        lastSeq = seq;
        if (parsed.type === "verdict") yield { type: "verdict", id: id!, event: parsed };
        else yield { type: "settled", id: id!, event: parsed };
      }
      if (buffer.length > MAX_EVENT_BYTES)
        throw new MalformedResponseError(node, `stream event over ${MAX_EVENT_BYTES} bytes`);
    }
  } catch (cause) {
    if (options.signal?.aborted) return;
    if (
      cause instanceof MalformedResponseError ||
      cause instanceof InvalidStreamEventError ||
      cause instanceof SignersUnavailableError
    )
      throw cause;
    throw new NodeUnreachableError(node, cause);
  }
}
