import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "../bytes";
import { COMPUTE_SAMPLES } from "../constants";
import { taggedHash, u32be } from "../hash";
import { computeSampleIndices, computeSeed, judgeCompute, openRows, proveCompute } from "./compute";

const seedOf = (i: number) => computeSeed(taggedHash("test", u32be(i)));

describe("compute challenge", () => {
  it("is deterministic (test vector for other implementations)", () => {
    const a = proveCompute(computeSeed(new Uint8Array(32)), 64);
    const b = proveCompute(computeSeed(new Uint8Array(32)), 64);
    expect(bytesToHex(a.root)).toBe(bytesToHex(b.root));
    expect(bytesToHex(a.root)).toMatchInlineSnapshot(
      `"2e2d5a007d39161bf823adfeb5807e52afb38e6f549441375d54400f2f626bb3"`,
    );
  });

  it("accepts honest results over many seeds and rejects tampered openings", () => {
    for (let s = 0; s < 20; s++) {
      const seed = seedOf(s);
      const salt = taggedHash("salt", u32be(s));
      const res = proveCompute(seed, 64);
      const rows = openRows(res, computeSampleIndices(res.root, salt, 64, COMPUTE_SAMPLES));
      expect(judgeCompute(seed, 64, COMPUTE_SAMPLES, res.root, salt, rows)).toEqual({ ok: true });
      // A row that does not match the commitment is a bad opening...
      const swapped = rows.map((r, i) => (i === 0 ? { ...r, values: rows[1]!.values } : r));
      expect(judgeCompute(seed, 64, COMPUTE_SAMPLES, res.root, salt, swapped)).toMatchObject({
        reason: "computeBadOpening",
      });
      // ...and opening other rows than the sampled ones too.
      expect(judgeCompute(seed, 64, COMPUTE_SAMPLES, res.root, salt, rows.slice(1))).toMatchObject({
        reason: "computeBadOpening",
      });
    }
  });

  it("detection bound: 10% skipped rows at n=1024 escape 44 samples in <= (0.9)^44 ~ 1% of challenges (empirical, 4000 seeds)", () => {
    const n = 1024;
    let escaped = 0;
    const trials = 4_000;
    for (let t = 0; t < trials; t++) {
      // A fresh random 10% of rows skipped per trial, a fresh root and salt.
      const skip = new Set(computeSampleIndices(taggedHash("skip", u32be(t)), new Uint8Array(32), n, n / 10));
      const idx = computeSampleIndices(
        taggedHash("root", u32be(t)),
        taggedHash("salt", u32be(t)),
        n,
        COMPUTE_SAMPLES,
      );
      if (!idx.some((i) => skip.has(i))) escaped++;
    }
    const rate = escaped / trials;
    // Sampling without replacement: exact escape probability C(922,44)/C(1024,44) ~ 0.0085 <= 0.9^44 = 0.0097.
    expect(rate).toBeLessThan(0.02);
    expect(1 - rate).toBeGreaterThan(0.98);
  });

  it("property: sampled indices are distinct, in range, and as many as asked", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 200 }),
        (root, samples) => {
          const idx = computeSampleIndices(root, new Uint8Array(32), 128, samples);
          expect(idx.length).toBe(Math.min(samples, 128));
          expect(new Set(idx).size).toBe(idx.length);
          expect(idx.every((i) => i >= 0 && i < 128)).toBe(true);
        },
      ),
    );
  });
});
