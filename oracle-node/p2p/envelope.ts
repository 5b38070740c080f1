// The application-level signature every gossip payload carries. Gossipsub runs StrictNoSign (its
// own signatures would only prove the first hop); this envelope proves the original sender, binds
// the topic (so a message cannot be replayed onto another topic) and a timestamp (replay window).
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import { P2PError } from "./errors";

const VERSION = 1;
const HEADER = 1 + 8 + 32 + 64;
const DOMAIN = new TextEncoder().encode("vigil/gossip/v1\0");
// DER prefixes turning raw Ed25519 keys into node:crypto KeyObjects (RFC 8410).
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export interface OpenedEnvelope {
  from: string;
  publicKey: Uint8Array;
  timestampMs: number;
  payload: Uint8Array;
}

function signedBytes(topic: string, ts: Uint8Array, payload: Uint8Array): Uint8Array {
  const t = new TextEncoder().encode(topic);
  const out = new Uint8Array(DOMAIN.length + t.length + 1 + 8 + payload.length);
  out.set(DOMAIN, 0);
  out.set(t, DOMAIN.length);
  out.set(ts, DOMAIN.length + t.length + 1);
  out.set(payload, DOMAIN.length + t.length + 9);
  return out;
}

/** Signs with the node's Ed25519 peer key through node:crypto (the fast path). */
export class EnvelopeSigner {
  private readonly key: KeyObject;
  readonly publicKey: Uint8Array;
  constructor(privateKey: PrivateKey) {
    if (privateKey.type !== "Ed25519") throw new P2PError("P2P_BAD_KEY_FILE", "peer key must be Ed25519");
    // libp2p's raw Ed25519 private key is seed(32) || public(32).
    const seed = privateKey.raw.subarray(0, 32);
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
    this.publicKey = privateKey.publicKey.raw;
  }

  seal(topic: string, payload: Uint8Array, nowMs = Date.now()): Uint8Array {
    const out = new Uint8Array(HEADER + payload.length);
    const view = new DataView(out.buffer);
    out[0] = VERSION;
    view.setBigUint64(1, BigInt(nowMs));
    out.set(this.publicKey, 9);
    const sig = sign(null, signedBytes(topic, out.subarray(1, 9), payload), this.key);
    out.set(sig, 41);
    out.set(payload, HEADER);
    return out;
  }
}

const keyCache = new Map<string, { key: KeyObject; peerId: string }>();

function publicKeyInfo(raw: Uint8Array): { key: KeyObject; peerId: string } {
  const hex = Buffer.from(raw).toString("hex");
  let info = keyCache.get(hex);
  if (!info) {
    const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
    const peerId = peerIdFromPublicKey(publicKeyFromRaw(raw)).toString();
    info = { key, peerId };
    // Bounded: only allow-listed senders get this far in the hot path, but keep a hard cap anyway.
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(hex, info);
  }
  return info;
}

/** Peer id string of a raw Ed25519 public key. */
export function peerIdOfPublicKey(raw: Uint8Array): string {
  return publicKeyInfo(raw).peerId;
}

/** Parses and verifies an envelope for `topic`; throws P2PError(P2P_BAD_ENVELOPE) on any defect. */
export function openEnvelope(topic: string, envelope: Uint8Array): OpenedEnvelope {
  if (envelope.length < HEADER || envelope[0] !== VERSION)
    throw new P2PError("P2P_BAD_ENVELOPE", "malformed envelope", { length: envelope.length });
  const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const ts = view.getBigUint64(1);
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new P2PError("P2P_BAD_ENVELOPE", "bad timestamp");
  const publicKey = envelope.subarray(9, 41);
  const sig = envelope.subarray(41, HEADER);
  const payload = envelope.subarray(HEADER);
  let info: { key: KeyObject; peerId: string };
  try {
    info = publicKeyInfo(publicKey);
  } catch (cause) {
    throw new P2PError("P2P_BAD_ENVELOPE", "bad public key", {}, { cause });
  }
  if (!verify(null, signedBytes(topic, envelope.subarray(1, 9), payload), info.key, sig))
    throw new P2PError("P2P_BAD_ENVELOPE", "bad signature", { from: info.peerId });
  return { from: info.peerId, publicKey, timestampMs: Number(ts), payload };
}
