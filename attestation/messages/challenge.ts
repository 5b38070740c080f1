import { Reader, Writer } from "../bytes";
import {
  ChallengeType,
  type ChallengeTypeName,
  COMPUTE_SAMPLES,
  challengeTypeName,
  computeSize,
  MAX_BANDWIDTH_BYTES,
  MAX_COMPUTE_CLASS,
  MAX_STORAGE_SAMPLES,
} from "../constants";
import { AttestationError } from "../errors";

export type ChallengeParams =
  | { type: "compute"; n: number; samples: number }
  | { type: "storage"; samples: number }
  | { type: "bandwidth"; bytes: number }
  | { type: "latency" };

/**
 * Signed by the challenger (an oracle node's libp2p Ed25519 key). The workload seed mixes the
 * epoch beacon with the challenger's `nonce`, so it is unknown before the challenge arrives.
 * `saltHash` commits to a second secret the challenger reveals only after the device committed
 * (compute: which rows are opened and the Freivalds vector; bandwidth: the payload).
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
  else if (p.type === "storage") w.u16(p.samples);
  else if (p.type === "bandwidth") w.u32(p.bytes);
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
    params = { type, samples };
  } else if (type === "bandwidth") {
    const bytes = r.u32("challenge.bytes");
    if (bytes < 1 || bytes > MAX_BANDWIDTH_BYTES)
      throw new AttestationError("OVERSIZED", `challenge.bytes ${bytes}`);
    params = { type, bytes };
  } else params = { type };
  r.end("challenge");
  return { deviceId, beacon, nonce, saltHash, issuedAtMs, deadlineMs, params };
}
