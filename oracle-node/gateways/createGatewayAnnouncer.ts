// Where each node's device gateway is, for devices that learn their assigned nodes instead of
// holding a fixed list (docs/attestation.md, "Gateway discovery"): this node signs its own record
// with its peer key and gossips it; it keeps the newest verified record of every active operator and
// serves them all at `GET /v1/gateways`.
import { Hono } from "hono";
import type { Logger } from "pino";
import { type Address, hexToBytes } from "viem";
import {
  bytesToHex,
  GATEWAY_ANNOUNCE_MS,
  type GatewayRecord,
  nodeVerify,
  type Signer,
  signGatewayRecord,
  verifyGatewayRecord,
} from "../../attestation/index";
import { type P2P, Validation } from "../p2p/index";
import { GatewayBook } from "./gatewayBook";

export interface GatewayAnnouncerOptions {
  chainId: number;
  registry: Address;
  /** This node's operator signer (the name its record carries). */
  signer: Address;
  /** How often it signs and gossips its record again, ms (default `GATEWAY_ANNOUNCE_MS`). */
  announceMs?: number;
}

export interface GatewayAnnouncerModules {
  p2p: Pick<P2P, "topic" | "publish" | "subscribe" | "peers">;
  /** The node's libp2p Ed25519 key as a signer (the key of its registered peer id). */
  peerSigner: Signer;
  /** The Ed25519 key of an active operator's registered peer id, from the node's chain view. */
  nodeKeyOf(signer: Uint8Array): Uint8Array | undefined;
  logger: Logger;
}

export interface GatewayAnnouncer {
  /**
   * Starts announcing this node's public gateway URLs (known once its listener is bound). Not
   * called, or called with none: the node still relays and serves the others' records, but devices
   * cannot discover it.
   */
  start(urls: string[]): void;
  /** Records held and still valid (active signer, not stale), this node's own included. */
  records(): GatewayRecord[];
  /** `GET /v1/gateways`, for the public feed API. */
  readonly app: Hono;
  stop(): void;
}

/** Between announcements, how often it checks for new peers (a node that joins hears the record soon). */
const PEER_CHECK_MS = 1_000;

export function createGatewayAnnouncer(
  opts: GatewayAnnouncerOptions,
  modules: GatewayAnnouncerModules,
): GatewayAnnouncer {
  const { p2p, peerSigner, nodeKeyOf } = modules;
  const log = modules.logger.child({ module: "gateways" });
  const topic = p2p.topic("gateways");
  const chainId = BigInt(opts.chainId);
  const registry = hexToBytes(opts.registry);
  const announceMs = opts.announceMs ?? GATEWAY_ANNOUNCE_MS;
  const book = new GatewayBook();
  const verify = (bytes: Uint8Array) =>
    verifyGatewayRecord(bytes, { chainId, registry, nowMs: Date.now(), nodeKeyOf }, nodeVerify);

  const unsubscribe = p2p.subscribe(
    topic,
    (msg) => {
      const r = verify(msg.data);
      if (r.ok)
        return (book.get(r.value.signer)?.issuedAtMs ?? -1n) < r.value.issuedAtMs
          ? Validation.Accept
          : Validation.Ignore;
      // An unregistered signer or a time out of range may be this node's view (its registry read or
      // clock behind the sender's), not the sender's fault; a bad signature or format is.
      const code = r.error.code;
      return code === "UNREGISTERED" || code === "REPLAY" || code === "DEADLINE"
        ? Validation.Ignore
        : Validation.Reject;
    },
    (msg) => {
      const r = verify(msg.data);
      if (r.ok && book.offer(r.value))
        log.debug({ signer: `0x${bytesToHex(r.value.signer)}`, urls: r.value.urls }, "gateway record");
    },
  );

  // Own record: signed fresh each time (its age is what devices and nodes check), gossiped at start,
  // every `announceMs`, and again while fewer peers received it than are connected (a node that
  // joined, or whose subscription had not arrived yet): 2 s after the last try, doubling while the
  // peer count stays the same, so a peer that never subscribes costs a few messages, not a stream.
  let next = 0;
  let reached = 0;
  let lastTry = 0;
  let lastPeers = 0;
  let retryMs = 2 * PEER_CHECK_MS;
  const announce = async () => {
    const now = Date.now();
    const peers = p2p.peers().length;
    if (peers !== lastPeers) retryMs = 2 * PEER_CHECK_MS;
    lastPeers = peers;
    if (now < next && (peers <= reached || now - lastTry < retryMs)) return;
    if (now < next) retryMs = Math.min(2 * retryMs, announceMs);
    lastTry = now;
    const bytes = signGatewayRecord(
      { chainId, registry, signer: hexToBytes(opts.signer), issuedAtMs: BigInt(now), urls },
      peerSigner,
    );
    const own = verify(bytes);
    if (own.ok) book.offer(own.value);
    else log.warn({ code: own.error.code, check: own.error.check }, "own gateway record does not verify");
    if (peers === 0) return;
    try {
      reached = await p2p.publish(topic, bytes);
      next = now + announceMs;
    } catch (err) {
      // No subscribed peer yet (gossipsub refuses to publish): tried again on the next check.
      log.debug({ err }, "gateway record not gossiped");
    }
  };
  let urls: string[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  const tick = () => {
    announce().catch((err: unknown) => log.warn({ err }, "gateway announcement failed"));
  };

  const records = () => book.list((r) => verify(r.bytes).ok);
  const app = new Hono();
  app.get("/v1/gateways", (c) =>
    c.json({
      gateways: records().map((r) => ({
        signer: `0x${bytesToHex(r.signer)}`,
        nodeKey: bytesToHex(r.nodeKey),
        issuedAtMs: r.issuedAtMs.toString(),
        urls: r.urls,
        record: bytesToHex(r.bytes),
      })),
    }),
  );

  return {
    start(publicUrls) {
      if (timer || publicUrls.length === 0) return;
      urls = publicUrls;
      log.info({ urls }, "announcing the device gateway");
      timer = setInterval(tick, PEER_CHECK_MS);
      timer.unref();
      tick();
    },
    records,
    app,
    stop() {
      if (timer) clearInterval(timer);
      unsubscribe();
    },
  };
}
