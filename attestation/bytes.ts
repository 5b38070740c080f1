import { AttestationError } from "./errors";

export { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";

/** Big-endian writer for the canonical encodings (see docs/attestation.md, "Wire format"). */
export class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }
  fixed(b: Uint8Array, length: number): this {
    if (b.length !== length) throw new RangeError(`expected ${length} bytes, got ${b.length}`);
    return this.bytes(b);
  }
  u8(v: number): this {
    return this.bytes(Uint8Array.of(v & 0xff));
  }
  u16(v: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v);
    return this.bytes(b);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v);
    return this.bytes(b);
  }
  u64(v: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v));
    return this.bytes(b);
  }
  /** u32 length prefix, then the bytes. */
  varBytes(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }
  /** u8 length prefix, then UTF-8. */
  shortString(s: string): this {
    const b = utf8Encoder.encode(s);
    if (b.length > 255) throw new RangeError("string longer than 255 bytes");
    return this.u8(b.length).bytes(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Bounds-checked big-endian reader. Reads past the end throw an `AttestationError("TRUNCATED")`,
 * which the decoders catch at their boundary and return as a `Result`; nothing else throws.
 */
export class Reader {
  offset = 0;
  private view: DataView;
  constructor(readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  get remaining(): number {
    return this.data.length - this.offset;
  }
  private need(n: number, field: string): void {
    if (this.remaining < n) throw new AttestationError("TRUNCATED", `${field}: need ${n} bytes`);
  }
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.offset++);
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.offset);
    this.offset += 8;
    return v;
  }
  varBytes(field: string, max: number): Uint8Array {
    const n = this.u32(`${field}.length`);
    if (n > max) throw new AttestationError("OVERSIZED", `${field}: ${n} > ${max} bytes`);
    return this.bytes(n, field);
  }
  shortString(field: string): string {
    const n = this.u8(`${field}.length`);
    const b = this.bytes(n, field);
    try {
      return n === 0 ? "" : utf8.decode(b);
    } catch {
      throw new AttestationError("MALFORMED", `${field}: not UTF-8`);
    }
  }
  end(field: string): void {
    if (this.remaining !== 0)
      throw new AttestationError("TRAILING_BYTES", `${field}: ${this.remaining} extra`);
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
