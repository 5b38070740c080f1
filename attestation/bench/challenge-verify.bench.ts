import type { BenchScenario } from "../../scripts/bench/scenario";
import {
  computeSampleIndices,
  computeSeed,
  judgeCompute,
  openRows,
  proveCompute,
} from "../challenges/compute";
import { COMPUTE_MODULUS, COMPUTE_SAMPLES } from "../constants";
import { taggedHash, u32be } from "../hash";

/**
 * CPU time of `f` in ms (user + system, this process). The machine is shared by many processes, so
 * wall-clock time mostly measures the neighbours; CPU time is what the prover and verifier cost.
 */
function cpuMs<T>(f: () => T): [T, number] {
  const start = process.cpuUsage();
  const out = f();
  const d = process.cpuUsage(start);
  return [out, (d.user + d.system) / 1000];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

/** Exact escape probability of sampling `s` distinct rows of `n` and missing all `bad`: C(n-bad, s) / C(n, s). */
function escapeProbability(n: number, bad: number, s: number): number {
  let p = 1;
  for (let i = 0; i < s; i++) p *= (n - bad - i) / (n - i);
  return p;
}

export const scenario: BenchScenario = {
  name: "challenge-verify",
  description:
    "compute challenge at n=1024: prover vs verifier time (target ratio <= 0.01) and detection of 10% skipped work",
  async run(args) {
    const n = Number(args[0] ?? 1024);
    const proverRuns = Number(args[1] ?? 3);
    const s = COMPUTE_SAMPLES;
    const proveMs: number[] = [];
    const verifyMs: number[] = [];
    for (let run = 0; run < proverRuns; run++) {
      const seed = computeSeed(taggedHash("bench", u32be(run)));
      const salt = taggedHash("bench.salt", u32be(run));
      const [result, p] = cpuMs(() => proveCompute(seed, n));
      proveMs.push(p);
      const rows = openRows(result, computeSampleIndices(result.root, salt, n, s));
      for (let i = 0; i < 9; i++) {
        const [j, v] = cpuMs(() => judgeCompute(seed, n, s, result.root, salt, rows));
        verifyMs.push(v);
        if (!j.ok) throw new Error("honest result rejected");
      }
    }
    // Detection of 10% skipped rows: exact (hypergeometric), the (0.9)^s bound, and empirical over
    // fresh random skip sets, roots and salts (sampling only: which rows a cheater would have to open).
    const bad = Math.round(n / 10);
    const trials = 50_000;
    let caught = 0;
    for (let t = 0; t < trials; t++) {
      const skipped = new Set(computeSampleIndices(taggedHash("skip", u32be(t)), new Uint8Array(32), n, bad));
      const idx = computeSampleIndices(taggedHash("root", u32be(t)), taggedHash("salt", u32be(t)), n, s);
      if (idx.some((i) => skipped.has(i))) caught++;
    }
    // And end to end: real partial provers (10% rows skipped), real verifier.
    const e2eRuns = 3;
    let e2eCaught = 0;
    for (let run = 0; run < e2eRuns; run++) {
      const seed = computeSeed(taggedHash("bench.partial", u32be(run)));
      const salt = taggedHash("bench.partial.salt", u32be(run));
      const skipped = new Set(computeSampleIndices(seed, salt, n, bad));
      const result = proveCompute(seed, n, (i) => skipped.has(i));
      const rows = openRows(result, computeSampleIndices(result.root, salt, n, s));
      if (!judgeCompute(seed, n, s, result.root, salt, rows).ok) e2eCaught++;
    }
    const prover = median(proveMs);
    const verifier = median(verifyMs);
    return {
      n,
      samples: s,
      modulus: COMPUTE_MODULUS,
      timeBasis: "process CPU time (user+system), median",
      proverMs: Number(prover.toFixed(1)),
      verifierMs: Number(verifier.toFixed(2)),
      verifierToProverRatio: Number((verifier / prover).toFixed(5)),
      targetRatio: 0.01,
      skippedFraction: 0.1,
      detectionProbabilityExact: Number((1 - escapeProbability(n, bad, s)).toFixed(5)),
      detectionProbabilityBound: Number((1 - 0.9 ** s).toFixed(5)),
      detectionProbabilityEmpirical: Number((caught / trials).toFixed(5)),
      empiricalTrials: trials,
      endToEndPartialProversCaught: `${e2eCaught}/${e2eRuns}`,
      freivaldsFalseAcceptPerWrongRow: Number((1 / COMPUTE_MODULUS).toExponential(2)),
      proverRunsMs: proveMs.map((x) => Math.round(x)),
    };
  },
};
