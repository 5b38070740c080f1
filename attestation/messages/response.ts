import { Reader, Writer } from "../bytes";
import {
  ChallengeType,
  challengeTypeName,
  computeSize,
  MAX_COMPUTE_CLASS,
  MAX_MERKLE_DEPTH,
  MAX_STORAGE_CHUNK_BYTES,
  MAX_STORAGE_SAMPLES,
} from "../constants";
import { AttestationError } from "../errors";

export interface OpenedRow {
  index: number;
  values: Uint16Array; // entries mod p = 65521, so 16 bits each
  proof: Uint8Array[];
}
/** `data: null` is the device saying (signed) that it cannot produce the chunk. */
export interface OpenedChunk {
  index: number;
  data: Uint8Array | null;
  proof: Uint8Array[];
}

/** Signed by the device; `challengeId` binds it to one challenge (and so to its network, epoch, deadline). */
export type ResponseBody =
  | { challengeId: Uint8Array; type: "compute"; rows: OpenedRow[] }
  | { challengeId: Uint8Array; type: "storage"; chunks: OpenedChunk[] }
  /** `receipt = bandwidthReceipt(challengeId, payload)`: needs the whole payload, not just its hash. */
  | { challengeId: Uint8Array; type: "bandwidth"; receipt: Uint8Array }
  | { challengeId: Uint8Array; type: "latency"; nonce: Uint8Array };

const MAX_N = computeSize(MAX_COMPUTE_CLASS);
const MAX_OPENED_ROWS = 256;

function writeProof(w: Writer, proof: Uint8Array[]): void {
  w.u8(proof.length);
  for (const p of proof) w.fixed(p, 32);
}
function readProof(r: Reader, field: string): Uint8Array[] {
  const depth = r.u8(`${field}.depth`);
  if (depth > MAX_MERKLE_DEPTH) throw new AttestationError("OVERSIZED", `${field}.depth ${depth}`);
  return Array.from({ length: depth }, (_, i) => r.bytes(32, `${field}[${i}]`));
}

export function encodeResponseBody(b: ResponseBody): Uint8Array {
  const w = new Writer().fixed(b.challengeId, 32).u8(ChallengeType[b.type]);
  if (b.type === "compute") {
    w.u16(b.rows.length);
    for (const row of b.rows) {
      w.u32(row.index).u32(row.values.length);
      const raw = new Uint8Array(2 * row.values.length);
      const dv = new DataView(raw.buffer);
      for (let k = 0; k < row.values.length; k++) dv.setUint16(2 * k, row.values[k]!);
      w.bytes(raw);
      writeProof(w, row.proof);
    }
  } else if (b.type === "storage") {
    w.u16(b.chunks.length);
    for (const c of b.chunks) {
      w.u32(c.index).u8(c.data ? 1 : 0);
      if (c.data) w.varBytes(c.data);
      writeProof(w, c.proof);
    }
  } else if (b.type === "bandwidth") w.fixed(b.receipt, 32);
  else w.fixed(b.nonce, 32);
  return w.finish();
}

export function decodeResponseBody(body: Uint8Array): ResponseBody {
  const r = new Reader(body);
  const challengeId = r.bytes(32, "response.challengeId");
  const code = r.u8("response.type");
  const type = challengeTypeName(code);
  let out: ResponseBody;
  if (type === "compute") {
    const count = r.u16("response.rows");
    if (count > MAX_OPENED_ROWS) throw new AttestationError("OVERSIZED", `response.rows ${count}`);
    const rows: OpenedRow[] = [];
    for (let i = 0; i < count; i++) {
      const index = r.u32(`response.rows[${i}].index`);
      const n = r.u32(`response.rows[${i}].length`);
      if (n > MAX_N) throw new AttestationError("OVERSIZED", `response.rows[${i}].length ${n}`);
      const raw = r.bytes(2 * n, `response.rows[${i}].values`);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const values = new Uint16Array(n);
      for (let k = 0; k < n; k++) values[k] = dv.getUint16(2 * k);
      rows.push({ index, values, proof: readProof(r, `response.rows[${i}].proof`) });
    }
    out = { challengeId, type, rows };
  } else if (type === "storage") {
    const count = r.u16("response.chunks");
    if (count > MAX_STORAGE_SAMPLES) throw new AttestationError("OVERSIZED", `response.chunks ${count}`);
    const chunks: OpenedChunk[] = [];
    for (let i = 0; i < count; i++) {
      const index = r.u32(`response.chunks[${i}].index`);
      const present = r.u8(`response.chunks[${i}].present`);
      if (present > 1) throw new AttestationError("MALFORMED", `response.chunks[${i}].present ${present}`);
      const data = present ? r.varBytes(`response.chunks[${i}].data`, MAX_STORAGE_CHUNK_BYTES) : null;
      chunks.push({ index, data, proof: readProof(r, `response.chunks[${i}].proof`) });
    }
    out = { challengeId, type, chunks };
  } else if (type === "bandwidth") out = { challengeId, type, receipt: r.bytes(32, "response.receipt") };
  else if (type === "latency") out = { challengeId, type, nonce: r.bytes(32, "response.nonce") };
  else throw new AttestationError("MALFORMED", `response.type ${code}`);
  r.end("response");
  return out;
}
