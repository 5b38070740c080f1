import { STRATEGY_INFO, type Strategy } from "./strategies";

/** One settled device line, as far as the scoreboard needs it (any hex case). */
export interface ScoredLine {
  deviceId: string;
  owner: string;
  uptimeBps: number;
  /** Credited work: only to say why a device is out of band. */
  work?: bigint;
  reward: bigint;
  slash: bigint;
}

/** A fleet device: its strategy and the owner its rewards are meant for. */
export interface ScoredDevice {
  deviceId: string;
  strategy: Strategy;
  /** The owner the device's operator really is (a squatter's chain registration names another). */
  owner: string;
}

export interface ScoreboardInput {
  epoch: bigint;
  /** The epoch's budget as the chain holds it (never the sum of rewards under test). */
  budget: bigint;
  devices: readonly ScoredDevice[];
  lines: readonly ScoredLine[];
  /** Devices with nothing at stake in the epoch (slashed before it): they may earn nothing, fairly. */
  unstaked?: ReadonlySet<string>;
  /** Devices slashed in an earlier epoch of the run (a slashable cheat is caught once). */
  slashedBefore?: ReadonlySet<string>;
  sybilFarmSize?: number;
  /** offline: share of the epoch it is away. */
  offlineFraction?: number;
}

export interface StrategyScore {
  strategy: Strategy;
  devices: number;
  slashed: number;
  rewarded: number;
  /** Rewards paid to the device's real owner, as a share of the budget. */
  rewardShare: number;
  /** What the strategy's real contribution would earn under the documented formula, as a share of the budget. */
  fairShare: number;
  /**
   * What its worth earns next to the honest devices actually paid: Σ fair × the median honest share.
   * The yardstick for cheats: when other cheats lose their share, honest devices (and a device
   * that cheats in nothing it was asked that epoch) rightly earn more than `fairShare`.
   */
  honestRateShare: number;
  /** Mean credited uptime, basis points. */
  uptimeBps: number;
  /** Slashable cheats not slashed in this epoch or before it. */
  uncaught: number;
  /** Targets this strategy missed in the epoch (empty: all met). */
  failures: string[];
}

export interface EpochScoreboard {
  epoch: bigint;
  rows: StrategyScore[];
  ok: boolean;
}

/** Honest devices' pay may differ from their fair share by this much (relative) before a target fails. */
export const FAIR_SHARE_TOLERANCE = 0.05;
/**
 * Scored epochs before a cheat's pay is judged. One epoch draws ~9 challenges per device (3 nodes,
 * ~3 rounds, 4 types in rotation): in about one epoch in six a majority of a device's observers draw
 * none of the type it cheats on, and it is paid in full by luck. Over 5 epochs its mean pay lies
 * near its expectation, which for every rational cheat measured is below its fair share.
 */
export const MIN_EPOCHS_TO_JUDGE_CHEATS = 5;
/** Share of `paid` honest devices that must be rewarded every epoch. */
export const MIN_REWARDED = 0.99;

/**
 * Per strategy, what the epoch paid against what each device's real contribution deserves, and
 * which targets failed. Fair share: `budget × (q / N) × fair(device) / Σ fair` over the devices with
 * stake at risk (`q / N`: the part of the budget the formula pays, docs/interfaces.md), where
 * `fair` is the strategy's worth next to an honest device (`STRATEGY_INFO`); the documented formula (`weight = work × uptime`) gives every honest device of one class the same
 * weight, so that ratio is what it must pay. A reward counts for a device only if it goes to the
 * device's real owner.
 */
export function scoreEpoch(input: ScoreboardInput): EpochScoreboard {
  const lineOf = new Map(input.lines.map((l) => [l.deviceId.toLowerCase(), l]));
  const factors = { sybilFarmSize: input.sybilFarmSize ?? 1, offlineFraction: input.offlineFraction ?? 0 };
  const key = (d: ScoredDevice) => d.deviceId.toLowerCase();
  const inPlay = (d: ScoredDevice) => lineOf.has(key(d)) && !input.unstaked?.has(key(d));
  const fairOf = (d: ScoredDevice) => (inPlay(d) ? STRATEGY_INFO[d.strategy].fair(factors) : 0);
  const totalFair = input.devices.reduce((sum, d) => sum + fairOf(d), 0);
  // The formula pays `budget × q / N` (docs/interfaces.md): N lines with stake at risk, q of them
  // with weight > 0. What a device deserves is its worth's share of what the epoch pays.
  const eligibleLines = input.lines.filter((l) => !input.unstaked?.has(l.deviceId.toLowerCase()));
  const qualified = eligibleLines.filter((l) => l.slash === 0n && (l.work ?? 1n) * BigInt(l.uptimeBps) > 0n);
  const paidFraction = eligibleLines.length > 0 ? qualified.length / eligibleLines.length : 0;
  const budget = Number(input.budget);
  const paidShare = (d: ScoredDevice) => {
    const line = lineOf.get(key(d));
    const toOwner = line && line.owner.toLowerCase() === d.owner.toLowerCase() ? Number(line.reward) : 0;
    return budget > 0 ? toOwner / budget : 0;
  };
  // Honest devices of one class must be paid alike: the median honest share is their yardstick.
  const honestShares = input.devices
    .filter((d) => STRATEGY_INFO[d.strategy].paid && inPlay(d))
    .map((d) => paidShare(d))
    .sort((a, b) => a - b);
  const median = honestShares.length ? honestShares[Math.floor((honestShares.length - 1) / 2)]! : 0;
  // What a device's line held (uptime/work), to say why it is out of band: next to the median device's.
  const held = (l: ScoredLine | undefined) => (l ? `${l.uptimeBps}/${l.work ?? "?"}` : "no line");
  const medianDevice = input.devices.find(
    (d) => STRATEGY_INFO[d.strategy].paid && inPlay(d) && paidShare(d) === median,
  );
  const byStrategy = new Map<Strategy, ScoredDevice[]>();
  for (const d of input.devices) byStrategy.set(d.strategy, [...(byStrategy.get(d.strategy) ?? []), d]);

  const rows: StrategyScore[] = [];
  for (const [strategy, devices] of byStrategy) {
    const info = STRATEGY_INFO[strategy];
    const failures: string[] = [];
    let slashed = 0;
    let rewarded = 0;
    let reward = 0;
    let fair = 0;
    let uptime = 0;
    let honestRate = 0;
    const outOfBand: string[] = [];
    let staked = 0;
    let stolen = 0;
    for (const d of devices) {
      const line = lineOf.get(key(d));
      const paidToOwner =
        line && line.owner.toLowerCase() === d.owner.toLowerCase() ? Number(line.reward) : 0;
      const fairShare = totalFair > 0 ? (paidFraction * fairOf(d)) / totalFair : 0;
      if (line && line.slash > 0n) slashed++;
      if (paidToOwner > 0) rewarded++;
      if (line && paidToOwner === 0) stolen += Number(line.reward);
      reward += paidToOwner;
      fair += fairShare;
      honestRate += (median > 0 ? median : fairShare > 0 ? fairShare / fairOf(d) : 0) * fairOf(d);
      uptime += line?.uptimeBps ?? 0;
      if (!inPlay(d)) continue;
      staked++;
      // An honest device must get at least its fair share (less 5%), and what every honest device of
      // its class gets (±5% of their median). More than fair is no harm when cheats lost theirs.
      const share = paidShare(d);
      if (
        info.paid &&
        (share < (1 - FAIR_SHARE_TOLERANCE) * fairShare ||
          Math.abs(share - median) > FAIR_SHARE_TOLERANCE * median)
      )
        outOfBand.push(held(line));
    }
    const rewardShare = budget > 0 ? reward / budget : 0;
    if (info.honest && slashed > 0) failures.push(`${slashed} honest slashed`);
    if (stolen > 0) failures.push(`${pct(stolen / budget)} paid to an owner other than the device's`);
    if (info.paid && staked > 0) {
      if (rewarded < MIN_REWARDED * staked) failures.push(`${rewarded}/${staked} rewarded (< 99%)`);
      if (outOfBand.length > 0)
        failures.push(
          `${outOfBand.length} under fair share or outside ±5% of the honest median ` +
            `(uptime bps/work: ${outOfBand.slice(0, 8).join(", ")}${outOfBand.length > 8 ? ", …" : ""}; median device ${held(medianDevice && lineOf.get(key(medianDevice)))})`,
        );
    }
    // A cheat that proves its own fraud is caught with the probability of sampling its fault: one
    // epoch may miss it, a run must not (`scoreRun`).
    const uncaught = info.slashable
      ? devices.filter((d) => (lineOf.get(key(d))?.slash ?? 0n) === 0n && !input.slashedBefore?.has(key(d)))
          .length
      : 0;
    rows.push({
      strategy,
      devices: devices.length,
      slashed,
      rewarded,
      rewardShare,
      fairShare: fair,
      honestRateShare: honestRate,
      uptimeBps: Math.round(uptime / devices.length),
      uncaught,
      failures,
    });
  }
  rows.sort((a, b) => a.strategy.localeCompare(b.strategy));
  return { epoch: input.epoch, rows, ok: rows.every((r) => r.failures.length === 0) };
}

/**
 * The run's verdict: every epoch's targets for honest devices; for each cheat, its pay over a run
 * of at least `MIN_EPOCHS_TO_JUDGE_CHEATS` epochs at most its fair share (+5%); every slashable
 * cheat slashed by the last epoch.
 * Returns the failures, empty when every target held.
 */
export function scoreRun(boards: readonly EpochScoreboard[]): string[] {
  const failures = boards.flatMap((b) =>
    b.rows.flatMap((r) => r.failures.map((f) => `epoch ${b.epoch} ${r.strategy}: ${f}`)),
  );
  // A cheat's pay is judged over the run: one epoch samples only a few challenges per device, so a
  // cheat whose faulty type was not drawn that epoch is paid in full by luck, not by design.
  const totals = new Map<Strategy, { reward: number; fair: number }>();
  // Judged against what its worth earned next to the honest devices of the same epochs.
  const judged = boards.length >= MIN_EPOCHS_TO_JUDGE_CHEATS ? boards : [];
  for (const r of judged.flatMap((b) => b.rows)) {
    if (STRATEGY_INFO[r.strategy].honest) continue;
    const t = totals.get(r.strategy) ?? { reward: 0, fair: 0 };
    t.reward += r.rewardShare;
    t.fair += r.honestRateShare;
    totals.set(r.strategy, t);
  }
  for (const [strategy, t] of totals)
    if (t.reward > t.fair * (1 + FAIR_SHARE_TOLERANCE) + 1e-9)
      failures.push(
        `${strategy}: reward share ${pct(t.reward / boards.length)} > its worth at the honest rate ${pct(t.fair / boards.length)} (mean over ${boards.length} epochs)`,
      );
  const last = boards.at(-1);
  for (const r of last?.rows ?? [])
    if (r.uncaught > 0) failures.push(`${r.strategy}: ${r.uncaught} of ${r.devices} never slashed`);
  return failures;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The scoreboard as fixed-width text lines, one per strategy (for terminals and logs). */
export function formatScoreboard(board: EpochScoreboard): string[] {
  const head = `${"strategy".padEnd(22)} ${"dev".padStart(4)} ${"slash".padStart(5)} ${"paid".padStart(4)} ${"reward".padStart(8)} ${"fair".padStart(8)} ${"uptime".padStart(6)}  targets`;
  return [
    head,
    ...board.rows.map(
      (r) =>
        `${r.strategy.padEnd(22)} ${String(r.devices).padStart(4)} ${String(r.slashed).padStart(5)} ${String(r.rewarded).padStart(4)} ${pct(r.rewardShare).padStart(8)} ${pct(r.fairShare).padStart(8)} ${String(r.uptimeBps).padStart(6)}  ${r.failures.length ? `FAIL ${r.failures.join("; ")}` : "ok"}`,
    ),
  ];
}
