import { COMPUTE_MODULUS as P } from "../constants";
import { taggedHash, u32be } from "../hash";
import { createMultiProofVerifier, merkleLevels, merkleProof, merkleRoot } from "../merkle";
import type { OpenedRow } from "../messages/response";
import { Prg } from "../prg";
import { sampleIndices } from "./sample";

/**
 * The compute workload: C = A·B mod p for n x n matrices A, B generated from the challenge's
 * seed, entries in [0, p), p = 65521. Integer arithmetic mod a prime gives identical results in
 * every language and lets the verifier use Freivalds' check: with a secret random vector r,
 * row i of C is right iff C_i·r = A_i·(B·r) (mod p), except with probability 1/p per row.
 */
export const computeSeed = (challengeId: Uint8Array): Uint8Array =>
  taggedHash("vigil.compute.seed", challengeId);

/** Row i of A: its own PRG stream, so the verifier generates only the rows it opens. */
export const matrixRowA = (seed: Uint8Array, row: number, n: number): Uint16Array =>
  new Prg(taggedHash("vigil.compute.A", seed, u32be(row))).fillEntries(new Uint16Array(n), P);

/** All of B, row-major, from one stream (both sides need all of it). */
export const matrixB = (seed: Uint8Array, n: number): Uint16Array =>
  new Prg(taggedHash("vigil.compute.B", seed)).fillEntries(new Uint16Array(n * n), P);

/** Leaf of result row i: keccak256("vigil.compute.row" || u32 i || entries as u16 big-endian). */
export function rowLeaf(index: number, values: Uint16Array): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  for (let k = 0; k < values.length; k++) {
    b[2 * k] = values[k]! >>> 8;
    b[2 * k + 1] = values[k]! & 0xff;
  }
  return taggedHash("vigil.compute.row", u32be(index), b);
}

export interface ComputeResult {
  rows: Uint16Array[];
  levels: Uint8Array[][];
  root: Uint8Array;
}

/**
 * The prover's work: all n rows of A·B (n^3 multiply-adds), then the Merkle tree over them.
 * `skipRow` lets the fleet's cheating devices leave rows uncomputed (they commit junk there).
 */
export function proveCompute(seed: Uint8Array, n: number, skipRow?: (i: number) => boolean): ComputeResult {
  const B = matrixB(seed, n);
  const acc = new Float64Array(n);
  const rows: Uint16Array[] = [];
  for (let i = 0; i < n; i++) {
    let out: Uint16Array;
    if (skipRow?.(i)) {
      // Plausible-looking numbers that cost nothing: what a device that skipped the row commits.
      out = matrixRowA(seed, i + n, n);
    } else {
      out = new Uint16Array(n);
      const a = matrixRowA(seed, i, n);
      acc.fill(0);
      // Products < 2^32, at most 1024 terms: sums < 2^42, exact in a double; reduce once per entry.
      for (let k = 0; k < n; k++) {
        const aik = a[k]!;
        if (aik === 0) continue;
        const off = k * n;
        for (let j = 0; j < n; j++) acc[j]! += aik * B[off + j]!;
      }
      for (let j = 0; j < n; j++) out[j] = acc[j]! % P;
    }
    rows.push(out);
  }
  const levels = merkleLevels(rows.map((r, i) => rowLeaf(i, r)));
  return { rows, levels, root: merkleRoot(levels) };
}

/** Rows the verifier opens: fixed only once both the device's root and the challenger's salt exist. */
export const computeSampleIndices = (
  root: Uint8Array,
  salt: Uint8Array,
  n: number,
  samples: number,
): number[] => sampleIndices(taggedHash("vigil.compute.sample", root, salt), n, samples);

export function openRows(result: ComputeResult, indices: number[]): OpenedRow[] {
  return indices.map((index) => ({
    index,
    values: result.rows[index]!,
    proof: merkleProof(result.levels, index),
  }));
}

export type ComputeJudgement =
  | { ok: true }
  | { ok: false; reason: "computeWrongRow" | "computeBadOpening"; detail: string };

/**
 * The verifier: O(n^2) to generate B and compute v = B·r once, then O(n) per opened row (one A row
 * generated, two dot products) plus its Merkle proof. Pure; the same code runs on both paths.
 */
export function judgeCompute(
  seed: Uint8Array,
  n: number,
  samples: number,
  root: Uint8Array,
  salt: Uint8Array,
  rows: OpenedRow[],
): ComputeJudgement {
  const indices = computeSampleIndices(root, salt, n, samples);
  if (rows.length !== indices.length)
    return {
      ok: false,
      reason: "computeBadOpening",
      detail: `opened ${rows.length} rows, asked ${indices.length}`,
    };
  const verifyProof = createMultiProofVerifier(root, n);
  for (let s = 0; s < rows.length; s++) {
    const row = rows[s]!;
    if (row.index !== indices[s])
      return {
        ok: false,
        reason: "computeBadOpening",
        detail: `row ${s} is ${row.index}, asked ${indices[s]}`,
      };
    if (row.values.length !== n)
      return {
        ok: false,
        reason: "computeBadOpening",
        detail: `row ${row.index} has ${row.values.length} entries`,
      };
    if (!verifyProof(rowLeaf(row.index, row.values), row.index, row.proof))
      return { ok: false, reason: "computeBadOpening", detail: `row ${row.index} proof` };
  }
  // r is derived from the salt, which the device learns only after committing to its rows.
  const r = new Prg(taggedHash("vigil.compute.r", salt)).fillEntries(new Uint16Array(n), P);
  // Stream B one row at a time (same stream as matrixB, n is even so rows split on word bounds).
  const streamB = new Prg(taggedHash("vigil.compute.B", seed));
  const bk = new Uint16Array(n);
  const v = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    streamB.fillEntries(bk, P);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += bk[j]! * r[j]!;
    v[k] = sum % P;
  }
  for (const row of rows) {
    let lhs = 0;
    for (let j = 0; j < n; j++) {
      const c = row.values[j]!;
      if (c >= P) return { ok: false, reason: "computeWrongRow", detail: `row ${row.index} entry ${j} >= p` };
      lhs += c * r[j]!;
    }
    const a = matrixRowA(seed, row.index, n);
    let rhs = 0;
    for (let k = 0; k < n; k++) rhs += a[k]! * v[k]!;
    if (lhs % P !== rhs % P) return { ok: false, reason: "computeWrongRow", detail: `row ${row.index}` };
  }
  return { ok: true };
}
