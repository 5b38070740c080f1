// Where an oracle node's device gateway is: a record the node signs with its libp2p Ed25519 key and
// gossips to the other nodes, which serve every record they hold (`GET /v1/gateways`). A device reads
// them from any node and believes only what verifies against its own view of the registry
// (docs/attestation.md, "Gateway discovery").
import { equalBytes, Reader, Writer } from "./bytes";
import type { Ed25519Verify, Signer } from "./crypto/ed25519";
import { AttestationError, fail, ok, type Result } from "./errors";

/** First bytes of a gateway record: never a Vigil message, poll, payload request or gossip envelope. */
export const GATEWAY_RECORD_DOMAIN = new TextEncoder().encode("vigil.gateway.v1");
/** URLs per record: a node may have a few public names (IPv4, IPv6, a DNS name). */
export const MAX_GATEWAY_URLS = 4;
/** Bytes per URL (its length is a u8). */
export const MAX_GATEWAY_URL_BYTES = 255;
/** The largest record: domain, fixed fields, 4 full URLs, signature. */
export const MAX_GATEWAY_RECORD_BYTES =
  GATEWAY_RECORD_DOMAIN.length +
  8 +
  20 +
  20 +
  32 +
  8 +
  1 +
  MAX_GATEWAY_URLS * (1 + MAX_GATEWAY_URL_BYTES) +
  64;
/**
 * A record older than this is not believed. Nodes sign a fresh one every `GATEWAY_ANNOUNCE_MS`, so
 * a live node's record is never near it; it bounds how long a node that went away (or moved) can be
 * pointed at by its last record, replayed by a bootstrap node that withholds the newer one.
 */
export const GATEWAY_RECORD_MAX_AGE_MS = 24 * 60 * 60_000;
/** A record stamped further ahead than this of the verifier's clock is refused (clock skew allowance). */
export const GATEWAY_RECORD_MAX_AHEAD_MS = 10 * 60_000;
/** How often a node signs and gossips its record again (a node that joins later hears it within this). */
export const GATEWAY_ANNOUNCE_MS = 5 * 60_000;

export interface GatewayRecord {
  /** The deployment: chain id and registry address (a record does not carry over to another one). */
  chainId: bigint;
  registry: Uint8Array;
  /** The operator's Ethereum signer (20 bytes): its identity in the registry. */
  signer: Uint8Array;
  /** The Ed25519 key of its registered libp2p peer id (32 bytes), which signs the record. */
  nodeKey: Uint8Array;
  /** Unix ms when signed; the newest record of a signer replaces older ones. */
  issuedAtMs: bigint;
  /** Base URLs of the node's device gateway (`http(s)://host:port/path`), most preferred first. */
  urls: string[];
  /** The signed bytes (what gossip and `GET /v1/gateways` carry). */
  bytes: Uint8Array;
}

/** Why a URL cannot go in a record, or undefined when it can. */
export function gatewayUrlProblem(url: string): string | undefined {
  if (new TextEncoder().encode(url).length > MAX_GATEWAY_URL_BYTES)
    return `longer than ${MAX_GATEWAY_URL_BYTES} bytes`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "not a URL";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return "not http(s)";
  if (u.username || u.password) return "has credentials";
  if (u.search || u.hash) return "has a query or fragment";
  return undefined;
}

/** Signs a record with the node's peer key (`signer.publicKey` becomes `nodeKey`). Throws on a bad URL. */
export function signGatewayRecord(
  r: { chainId: bigint; registry: Uint8Array; signer: Uint8Array; issuedAtMs: bigint; urls: string[] },
  key: Signer,
): Uint8Array {
  if (r.urls.length === 0 || r.urls.length > MAX_GATEWAY_URLS)
    throw new RangeError(`a gateway record holds 1 to ${MAX_GATEWAY_URLS} URLs, got ${r.urls.length}`);
  const w = new Writer()
    .bytes(GATEWAY_RECORD_DOMAIN)
    .u64(r.chainId)
    .fixed(r.registry, 20)
    .fixed(r.signer, 20)
    .fixed(key.publicKey, 32)
    .u64(r.issuedAtMs)
    .u8(r.urls.length);
  for (const url of r.urls) {
    const problem = gatewayUrlProblem(url);
    if (problem) throw new RangeError(`gateway URL ${url}: ${problem}`);
    w.shortString(url);
  }
  const signing = w.finish();
  return new Writer().bytes(signing).fixed(key.sign(signing), 64).finish();
}

/** Decodes a record and checks its format and signature only (no deployment, time or registry check). */
export function decodeGatewayRecord(bytes: Uint8Array, verify: Ed25519Verify): Result<GatewayRecord> {
  if (bytes.length > MAX_GATEWAY_RECORD_BYTES)
    return fail("OVERSIZED", `gateway record: ${bytes.length} > ${MAX_GATEWAY_RECORD_BYTES} bytes`);
  let record: Omit<GatewayRecord, "bytes">;
  let signature: Uint8Array;
  try {
    const r = new Reader(bytes);
    if (!equalBytes(r.bytes(GATEWAY_RECORD_DOMAIN.length, "gateway.domain"), GATEWAY_RECORD_DOMAIN))
      return fail("BAD_MAGIC", "gateway record: not a Vigil gateway record (domain)");
    const chainId = r.u64("gateway.chainId");
    const registry = r.bytes(20, "gateway.registry");
    const signer = r.bytes(20, "gateway.signer");
    const nodeKey = r.bytes(32, "gateway.nodeKey");
    const issuedAtMs = r.u64("gateway.issuedAtMs");
    const count = r.u8("gateway.urls.count");
    if (count === 0 || count > MAX_GATEWAY_URLS)
      return fail("MALFORMED", `gateway.urls: ${count} URLs (1 to ${MAX_GATEWAY_URLS})`);
    const urls: string[] = [];
    for (let i = 0; i < count; i++) {
      const url = r.shortString(`gateway.urls[${i}]`);
      const problem = gatewayUrlProblem(url);
      if (problem) return fail("MALFORMED", `gateway.urls[${i}]: ${problem}`);
      urls.push(url);
    }
    signature = r.bytes(64, "gateway.signature");
    r.end("gateway record");
    record = { chainId, registry, signer, nodeKey, issuedAtMs, urls };
  } catch (e) {
    if (e instanceof AttestationError) return { ok: false, error: e };
    throw e;
  }
  if (!verify(record.nodeKey, bytes.subarray(0, bytes.length - 64), signature))
    return fail("BAD_SIGNATURE", "gateway record: not signed by the node key it names");
  return ok({ ...record, bytes });
}

export interface GatewayRecordExpect {
  chainId: bigint;
  registry: Uint8Array;
  /** The verifier's clock, unix ms. */
  nowMs: number;
  /**
   * The Ed25519 key of the peer id the registry holds for an active operator with this signer, or
   * undefined when the signer is not one (or its peer id is not an Ed25519 one). From the verifier's
   * own chain reads, never from the record or whoever served it.
   */
  nodeKeyOf(signer: Uint8Array): Uint8Array | undefined;
  maxAgeMs?: number;
  maxAheadMs?: number;
}

/**
 * Verifies a record for a deployment: format and signature, then that it is this deployment's
 * (`WRONG_NETWORK`), not stale (`REPLAY`) nor stamped far ahead (`DEADLINE`), and that its signer is an
 * active registered operator whose registered peer id is the key that signed it (`UNREGISTERED`).
 *
 * Threat: whoever serves records (any node, or anyone on the path) pointing a device at itself or at
 * a black hole. It cannot sign for another operator's key, nor pass off its own key under another
 * operator's signer; it can withhold records or serve an older one (at most `maxAgeMs` old), which is
 * why devices ask several nodes and keep the newest.
 */
export function verifyGatewayRecord(
  bytes: Uint8Array,
  expect: GatewayRecordExpect,
  verify: Ed25519Verify,
): Result<GatewayRecord> {
  const decoded = decodeGatewayRecord(bytes, verify);
  if (!decoded.ok) return decoded;
  const r = decoded.value;
  if (r.chainId !== expect.chainId || !equalBytes(r.registry, expect.registry))
    return fail("WRONG_NETWORK", "gateway record: signed for another chain or registry");
  const age = expect.nowMs - Number(r.issuedAtMs);
  if (age > (expect.maxAgeMs ?? GATEWAY_RECORD_MAX_AGE_MS))
    return fail("REPLAY", `gateway record: issued ${Math.round(age / 1000)} s ago`);
  if (-age > (expect.maxAheadMs ?? GATEWAY_RECORD_MAX_AHEAD_MS))
    return fail("DEADLINE", `gateway record: issued ${Math.round(-age / 1000)} s ahead of this clock`);
  const registered = expect.nodeKeyOf(r.signer);
  if (!registered) return fail("UNREGISTERED", "gateway record: its signer is not an active operator");
  if (!equalBytes(registered, r.nodeKey))
    return fail(
      "UNREGISTERED",
      "gateway record: signed by another key than the operator's registered peer id",
    );
  return ok(r);
}
