import { Reader, Writer } from "../bytes";
import {
  ChallengeType,
  type ChallengeTypeName,
  COMPUTE_SAMPLES,
  challengeTypeName,
  computeSize,
  MAX_BANDWIDTH_BYTES,
  MAX_COMPUTE_CLASS,
  MAX_STORAGE_CHUNK_BYTES,
  MAX_STORAGE_SAMPLES,
} from "../constants";
import { AttestationError } from "../errors";

/**
 * What the challenge asks, signed with it. Everything a verdict is judged against is in here, so
 * no separately supplied message (a registration, a payload) can change what an answer means:
 * storage names the root, chunk count and chunk size it is judged against (copied from the
 * device's registration), bandwidth commits to the payload it will serve.
 */
export type ChallengeParams =
  | { type: "compute"; n: number; samples: number }
  | {
      type: "storage";
      samples: number;
      storageRoot: Uint8Array;
      storageChunks: number;
      storageChunkBytes: number;
    }
  | { type: "bandwidth"; bytes: number; payloadHash: Uint8Array }
  | { type: "latency" };

/**
 * Signed by the challenger (an oracle node's libp2p Ed25519 key). The workload seed mixes the
 * epoch beacon with the challenger's `nonce`, so it is unknown before the challenge arrives.
 * `saltHash` commits to a second secret the challenger reveals only after the device committed
 * (compute: which rows are opened and the Freivalds vector; bandwidth: the payload, whose hash the
 * params carry).
 */
export interface ChallengeBody {
  deviceId: Uint8Array;
  beacon: Uint8Array;
  nonce: Uint8Array;
  saltHash: Uint8Array;
  issuedAtMs: bigint;
  deadlineMs: bigint;
  params: ChallengeParams;
}

export function encodeChallengeBody(b: ChallengeBody): Uint8Array {
  const w = new Writer()
    .fixed(b.deviceId, 32)
    .u8(ChallengeType[b.params.type])
    .fixed(b.beacon, 32)
    .fixed(b.nonce, 32)
    .fixed(b.saltHash, 32)
    .u64(b.issuedAtMs)
    .u64(b.deadlineMs);
  const p = b.params;
  if (p.type === "compute") w.u32(p.n).u16(p.samples);
  else if (p.type === "storage")
    w.u16(p.samples).fixed(p.storageRoot, 32).u32(p.storageChunks).u32(p.storageChunkBytes);
  else if (p.type === "bandwidth") w.u32(p.bytes).fixed(p.payloadHash, 32);
  return w.finish();
}

const VALID_N = new Set(Array.from({ length: MAX_COMPUTE_CLASS + 1 }, (_, c) => computeSize(c)));

export function decodeChallengeBody(body: Uint8Array): ChallengeBody {
  const r = new Reader(body);
  const deviceId = r.bytes(32, "challenge.deviceId");
  const typeCode = r.u8("challenge.type");
  const type: ChallengeTypeName | undefined = challengeTypeName(typeCode);
  if (!type) throw new AttestationError("MALFORMED", `challenge.type ${typeCode}`);
  const beacon = r.bytes(32, "challenge.beacon");
  const nonce = r.bytes(32, "challenge.nonce");
  const saltHash = r.bytes(32, "challenge.saltHash");
  const issuedAtMs = r.u64("challenge.issuedAtMs");
  const deadlineMs = r.u64("challenge.deadlineMs");
  if (deadlineMs <= issuedAtMs)
    throw new AttestationError("MALFORMED", "challenge.deadlineMs not after issuedAtMs");
  let params: ChallengeParams;
  if (type === "compute") {
    const n = r.u32("challenge.n");
    if (!VALID_N.has(n)) throw new AttestationError("MALFORMED", `challenge.n ${n}`);
    const samples = r.u16("challenge.samples");
    if (samples < 1 || samples > Math.min(n, 4 * COMPUTE_SAMPLES))
      throw new AttestationError("MALFORMED", `challenge.samples ${samples}`);
    params = { type, n, samples };
  } else if (type === "storage") {
    const samples = r.u16("challenge.samples");
    if (samples < 1 || samples > MAX_STORAGE_SAMPLES)
      throw new AttestationError("MALFORMED", `challenge.samples ${samples}`);
    const storageRoot = r.bytes(32, "challenge.storageRoot");
    const storageChunks = r.u32("challenge.storageChunks");
    if (storageChunks < 1) throw new AttestationError("MALFORMED", "challenge.storageChunks 0");
    const storageChunkBytes = r.u32("challenge.storageChunkBytes");
    if (storageChunkBytes > MAX_STORAGE_CHUNK_BYTES)
      throw new AttestationError("OVERSIZED", `challenge.storageChunkBytes ${storageChunkBytes}`);
    if (storageChunkBytes < 1) throw new AttestationError("MALFORMED", "challenge.storageChunkBytes 0");
    params = { type, samples, storageRoot, storageChunks, storageChunkBytes };
  } else if (type === "bandwidth") {
    const bytes = r.u32("challenge.bytes");
    if (bytes < 1 || bytes > MAX_BANDWIDTH_BYTES)
      throw new AttestationError("OVERSIZED", `challenge.bytes ${bytes}`);
    params = { type, bytes, payloadHash: r.bytes(32, "challenge.payloadHash") };
  } else params = { type };
  r.end("challenge");
  return { deviceId, beacon, nonce, saltHash, issuedAtMs, deadlineMs, params };
}
