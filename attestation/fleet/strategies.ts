/**
 * The adversarial fleet's strategies: each one runs the real device code with one behaviour
 * changed. `honest*` strategies are honest devices, some of them targets of an attacker the fleet
 * also runs (a challenge thief, a framing challenger, an on-path proxy, a key squatter); the rest
 * are cheats. The rational cheats (after "verdict accuracy" in docs/attestation.md) stay silent,
 * relay, replay or frame others; the naive ones incriminate themselves and stay for regression.
 */
export const STRATEGIES = [
  "honest",
  // Honest devices, some under attack. Each must be paid its fair share and never be slashed.
  "honestSlow", // honest on a slow link: each answer starts 5% of its deadline late
  "honestFlaky", // honest on a flaky network: 10% of its requests fail and are retried
  "honestRobbed", // honest; a `challengeThief` polls its challenges from every node
  "honestFramed", // honest; also answers a framing challenger (wrong salts, corrupted payloads)
  "honestProxied", // honest; an on-path proxy rewrites its salts and payloads
  "honestSquatted", // honest; an attacker registered its key on chain first, with the attacker's owner
  // Rational cheats: silent when caught, relayed, regenerated, many keys. Each must earn at most its fair share.
  "partialComputeSilent", // skips 10% of compute rows; goes silent when a salt samples a skipped row
  "zeroStorage", // stores nothing: discarded its replica once the client registered it; cannot derive it, so silent
  "storageHalfSilent", // keeps 50% of its chunks; silent when a sampled chunk is gone
  "storage90Silent", // keeps 90% of its chunks; silent when a sampled chunk is gone
  "preSignedHeartbeats", // signs heartbeats in advance, goes away; a third party posts them on time
  "challengeThief", // an honest device that also drains an `honestRobbed` device's challenges
  "sybilFarm", // one of N keys on one machine (one core, one link, one disk): one job at a time
  "relayToStronger", // claims compute class 2; relays compute to a class-2 machine that is itself a registered device
  "classOverclaim", // claims compute class 2, has class-0 hardware (64x the work at n = 256)
  // Naive cheats that confess (their signatures prove the fraud) or are plainly rejected.
  "wrongCompute", // computes, but every row is wrong: slashable (computeWrongRow)
  "partialCompute", // skips a fraction of the rows and opens them anyway: slashable once sampled
  "replayHeartbeat", // replays a heartbeat signed for another epoch (or network): rejected, earns no uptime
  "forgedSignature", // a registered deviceId, messages signed with another key: rejected, not attributable
  "offline", // silent for part of the run: less uptime, missed challenges
  "slow", // answers after the deadline (slow or relayed): `late`, no credit
  "lostStorage", // lost some storage chunks and opens them anyway: slashable (storageMissing)
  "sybil", // not registered on chain: rejected (UNKNOWN_DEVICE)
] as const;
export type Strategy = (typeof STRATEGIES)[number];

/**
 * Share of a class-0 device's credit each credited challenge type carries under policy 1: compute,
 * storage and bandwidth one unit each per round, latency none (attestation/policy/challengePolicy.ts
 * `creditUnits`), so each of the three is a third.
 */
const TYPE_SHARE = 1 / 3;

export interface StrategyInfo {
  /** An honest device (maybe under attack): never slashed. */
  honest: boolean;
  /** An honest device nobody attacks in a way that costs it: ≥ 99% rewarded, within ±5% of its fair share. */
  paid: boolean;
  /** Its own signature proves fraud: it must be slashed, with evidence. */
  slashable: boolean;
  /**
   * What its real contribution is worth next to an honest device of the fleet's class (1): the
   * share of the epoch it was really there times the share of the challenged work it really did.
   * A Sybil farm of N keys on one machine is worth one device: 1/N per key.
   */
  fair: (o: { sybilFarmSize: number; offlineFraction: number }) => number;
}

const honestInfo = (paid: boolean): StrategyInfo => ({ honest: true, paid, slashable: false, fair: () => 1 });
const cheat = (fair: StrategyInfo["fair"], slashable = false): StrategyInfo => ({
  honest: false,
  paid: false,
  slashable,
  fair,
});

export const STRATEGY_INFO: Record<Strategy, StrategyInfo> = {
  honest: honestInfo(true),
  honestSlow: honestInfo(true),
  honestFlaky: honestInfo(true),
  // A thief can cost its victim at most missed challenges, a proxy likewise: the victim's pay may
  // drop (it is not `paid`-checked), but it must never be slashed.
  honestRobbed: honestInfo(true),
  honestFramed: honestInfo(true),
  honestProxied: honestInfo(false),
  // Until the squat is resolved nobody may be paid for the device: not the squatter, and (its key
  // being held by another owner on chain) not the device either.
  honestSquatted: honestInfo(false),
  partialComputeSilent: cheat(() => 1 - 0.1 * TYPE_SHARE),
  zeroStorage: cheat(() => 1 - TYPE_SHARE),
  storageHalfSilent: cheat(() => 1 - 0.5 * TYPE_SHARE),
  storage90Silent: cheat(() => 1 - 0.1 * TYPE_SHARE),
  preSignedHeartbeats: cheat(() => 0),
  // The thief's own device is honest; stealing must add nothing to it.
  challengeThief: cheat(() => 1),
  sybilFarm: cheat((o) => 1 / o.sybilFarmSize),
  // Its own hardware is a class-0 machine: it is worth one class-0 device, whatever it relays.
  relayToStronger: cheat(() => 1),
  classOverclaim: cheat(() => 1),
  // A confessing cheat is worth what it really did until it is caught (then it has no stake and
  // earns nothing): its compute is wrong, or 10% of it skipped; its other answers are real.
  wrongCompute: cheat(() => 1 - TYPE_SHARE, true),
  partialCompute: cheat(() => 1 - 0.1 * TYPE_SHARE, true),
  replayHeartbeat: cheat(() => 0),
  forgedSignature: cheat(() => 0),
  offline: cheat((o) => 1 - o.offlineFraction),
  // Late work is worth nothing to the network.
  slow: cheat(() => 0),
  lostStorage: cheat(() => 1 - 0.5 * TYPE_SHARE, true),
  sybil: cheat(() => 0),
};
