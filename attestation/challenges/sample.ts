import { Prg } from "../prg";

/**
 * `count` distinct indices in [0, size), in draw order, from a 32-byte seed. Rejection sampling
 * keeps them uniform for any size; distinct draws make the detection bound (1-q)^s conservative.
 */
export function sampleIndices(seed: Uint8Array, size: number, count: number): number[] {
  const prg = new Prg(seed);
  const want = Math.min(count, size);
  const limit = Math.floor(0x1_0000_0000 / size) * size;
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < want) {
    const x = prg.next();
    if (x >= limit) continue;
    const i = x % size;
    if (!seen.has(i)) {
      seen.add(i);
      out.push(i);
    }
  }
  return out;
}
