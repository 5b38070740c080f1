import { STRATEGIES, type Strategy } from "../../attestation/agent/index";

const CHEATS = STRATEGIES.filter((s) => s !== "honest");

/**
 * The fleet's strategies: every cheat once first (so even a small fleet has each), then one cheat in
 * ten devices, the rest honest. 200 devices: 27 cheaters; 50 devices: 12.
 */
export function planStrategies(devices: number): Strategy[] {
  return Array.from({ length: devices }, (_, i): Strategy => {
    if (i < CHEATS.length) return CHEATS[i]!;
    if (i % 10 === 0) return CHEATS[(i / 10) % CHEATS.length]!;
    return "honest";
  });
}

/**
 * Strategies whose fraud the device's own signature proves, so a node can slash it with evidence.
 * The others are rejected (forged signature, replay, Sybil: not attributable to a registered key)
 * or only lose credit (offline, slow).
 */
export const SLASHABLE: ReadonlySet<Strategy> = new Set(["wrongCompute", "partialCompute", "lostStorage"]);
export const UNREWARDABLE: ReadonlySet<Strategy> = new Set(["forgedSignature", "replayHeartbeat", "sybil"]);
