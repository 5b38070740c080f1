/**
 * xoshiro128** (Blackman & Vigna): a tiny, fast PRG with only 32-bit integer operations, so any
 * language reproduces the same workload from a seed. Not cryptographic: the unpredictability
 * comes from the 32-byte keccak seed it is keyed with, fresh per challenge.
 */
export class Prg {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  constructor(seed: Uint8Array) {
    const dv = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
    this.s0 = dv.getUint32(0);
    this.s1 = dv.getUint32(4);
    this.s2 = dv.getUint32(8);
    this.s3 = dv.getUint32(12);
    // An all-zero state is a fixed point; a keccak output is never that in practice, but be safe.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }
  /** Next uint32. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
  /** Fills `out` with pseudo-random bytes (4 per step, big-endian). */
  fill(out: Uint8Array): Uint8Array {
    let i = 0;
    for (; i + 4 <= out.length; i += 4) {
      const v = this.next();
      out[i] = v >>> 24;
      out[i + 1] = (v >>> 16) & 0xff;
      out[i + 2] = (v >>> 8) & 0xff;
      out[i + 3] = v & 0xff;
    }
    if (i < out.length) {
      const v = this.next();
      for (let k = 0; i < out.length; i++, k++) out[i] = (v >>> (24 - 8 * k)) & 0xff;
    }
    return out;
  }
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));
