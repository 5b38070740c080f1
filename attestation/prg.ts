/**
 * xoshiro128** (Blackman & Vigna): a tiny, fast PRG with only 32-bit integer operations, so any
 * language reproduces the same workload from a seed. Not cryptographic: the unpredictability
 * comes from the 32-byte keccak seed it is keyed with, fresh per challenge. State = the first 16
 * seed bytes as four big-endian uint32.
 */
export class Prg {
  private s = new Uint32Array(4);
  constructor(seed: Uint8Array) {
    const dv = new DataView(seed.buffer, seed.byteOffset, seed.byteLength);
    for (let i = 0; i < 4; i++) this.s[i] = dv.getUint32(4 * i);
    // An all-zero state is a fixed point; a keccak output is never that in practice, but be safe.
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** Next uint32. */
  next(): number {
    const out = new Uint32Array(1);
    this.fillWords(out);
    return out[0]!;
  }

  /** Fills `out` with the next `out.length` uint32 outputs (locals in the loop: ~10x faster than next()). */
  fillWords(out: Uint32Array): Uint32Array {
    let s0 = this.s[0]!;
    let s1 = this.s[1]!;
    let s2 = this.s[2]!;
    let s3 = this.s[3]!;
    for (let i = 0; i < out.length; i++) {
      const m = Math.imul(s1, 5);
      out[i] = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    this.s[0] = s0;
    this.s[1] = s1;
    this.s[2] = s2;
    this.s[3] = s3;
    return out;
  }

  /**
   * Fills `out` with entries in [0, modulus) for a modulus in (2^15, 2^16]: each uint32 output gives
   * two entries, its high then its low 16 bits, each reduced by one conditional subtraction (a
   * small, deterministic bias, harmless for a workload).
   */
  fillEntries(out: Uint16Array, modulus: number): Uint16Array {
    // The generator inlined (as in fillWords): this loop is most of the verifier's time.
    let s0 = this.s[0]!;
    let s1 = this.s[1]!;
    let s2 = this.s[2]!;
    let s3 = this.s[3]!;
    const len = out.length;
    for (let i = 0; i < len; i += 2) {
      const m = Math.imul(s1, 5);
      const x = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const hi = x >>> 16;
      out[i] = hi >= modulus ? hi - modulus : hi;
      if (i + 1 < len) {
        const lo = x & 0xffff;
        out[i + 1] = lo >= modulus ? lo - modulus : lo;
      }
    }
    this.s[0] = s0;
    this.s[1] = s1;
    this.s[2] = s2;
    this.s[3] = s3;
    return out;
  }

  /** Fills `out` with pseudo-random bytes (each uint32 output big-endian). */
  fill(out: Uint8Array): Uint8Array {
    const words = this.fillWords(new Uint32Array((out.length + 3) >> 2));
    for (let i = 0; i < out.length; i++) out[i] = (words[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
    return out;
  }
}
