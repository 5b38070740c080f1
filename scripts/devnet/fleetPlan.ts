import { STRATEGIES, type Strategy } from "../../attestation/agent/index";

/**
 * Strategies the devnet runs by default: the naive cheats, and the honest variants and rational
 * cheats whose targets hold today (`npm run bench -- verdicts` scores all of them). The others are
 * attacks still open (docs/attestation.md, "Verdict accuracy"): `--strategies all` runs them too,
 * and the run's summary then fails on their targets.
 */
export const DEFENDED_STRATEGIES: readonly Strategy[] = [
  "honestSlow",
  "honestFlaky",
  // A byzantine oracle (node 0, with its own registered key) frames these; a proxy rewrites those.
  "honestFramed",
  "honestProxied",
  "partialComputeSilent",
  "storageHalfSilent",
  "storage90Silent",
  "preSignedHeartbeats",
  "wrongCompute",
  "partialCompute",
  "replayHeartbeat",
  "forgedSignature",
  "offline",
  "slow",
  "lostStorage",
  "sybil",
];

export const ALL_STRATEGIES: readonly Strategy[] = STRATEGIES.filter((s) => s !== "honest");

/**
 * The fleet's strategies: each of `others` once first (so even a small fleet has each), then one
 * in ten devices cycles through them, the rest are honest. 200 devices with the defended set: 33
 * others.
 */
export function planStrategies(
  devices: number,
  others: readonly Strategy[] = DEFENDED_STRATEGIES,
): Strategy[] {
  return Array.from({ length: devices }, (_, i): Strategy => {
    if (i < others.length) return others[i]!;
    if (i % 10 === 0) return others[(i / 10) % others.length]!;
    return "honest";
  });
}
