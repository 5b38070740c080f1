import type { StrategyScore } from "../../attestation/fleet/scoreboard";
import { STRATEGY_INFO } from "../../attestation/fleet/strategies";
import type { DevnetEvent } from "./events";

const TOKEN = 10n ** 18n;

/** `1234500000000000000` wei as `1.234 VGL`. */
export function formatToken(wei: string | bigint): string {
  const v = BigInt(wei);
  return `${v / TOKEN}.${String(((v % TOKEN) * 1000n) / TOKEN).padStart(3, "0")} VGL`;
}

const short = (hex: string) => (hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex);

/** One human line per event worth showing on the terminal; undefined for the rest (the dashboard has them). */
export function formatEvent(e: DevnetEvent): string | undefined {
  switch (e.type) {
    case "stage":
      if (e.status === "ready") return `✓ ${e.stage}${e.detail ? `: ${e.detail}` : ""}`;
      if (e.status === "starting") return `… ${e.stage}${e.detail ? `: ${e.detail}` : ""}`;
      if (e.status === "skipped") return `- ${e.stage} not started: ${e.detail ?? ""}`;
      return `✗ ${e.stage} failed: ${e.detail ?? ""}`;
    case "chain":
      return `  ${e.name} chain ${e.chainId} at ${e.rpcUrl}`;
    case "node":
      return e.status === "up"
        ? `  node ${e.index} up: signer ${e.signer}${e.api ? `, api ${e.api}` : ""}`
        : undefined;
    case "epoch": {
      const slashed = Object.entries(e.slashed);
      const slashText = slashed.length ? slashed.map(([reason, n]) => `${n} ${reason}`).join(", ") : "none";
      return [
        `epoch ${e.epoch}: ${e.verified} verified, ${e.rewarded} rewarded (${formatToken(e.totalReward)})`,
        `slashed ${slashText}`,
        `${e.rejected} rejected`,
        e.settlementTx ? `settled ${short(e.settlementTx)} (${e.signatures ?? "?"} sigs)` : "NOT settled",
        ...(e.economics
          ? [
              `emission ${formatToken(e.economics.emission)} (carried ${formatToken(e.economics.carried)}), fee ${formatToken(e.economics.fee)}: burned ${formatToken(e.economics.burned)}, operators ${formatToken(e.economics.toOperators)}, treasury ${formatToken(e.economics.toTreasury)}`,
            ]
          : []),
        ...(e.uptimeSla
          ? [
              `uptime bonus ${formatToken(e.uptimeSla.bonusPaid)} to ${e.uptimeSla.bonused} devices (≥ ${pctBps(e.uptimeSla.bonusThresholdBps)} over ${e.uptimeSla.windowEpochs} epochs${e.uptimeSla.historyEpochs < e.uptimeSla.windowEpochs - 1 ? "; no full window yet" : ""}), ${e.uptimeSla.penalized} penalized (< ${pctBps(e.uptimeSla.penaltyThresholdBps)}: ${formatToken(e.uptimeSla.withheld)} withheld)`,
            ]
          : []),
        `bridged ${formatToken(e.bridged)}`,
        ...(e.scoreboard
          ? [e.warmUp ? "warm-up (began before the fleet ran: not scored)" : verdictText(e.scoreboard)]
          : []),
      ].join(" | ");
    }
    case "governance":
      return `governance: ${e.step} proposal ${short(e.proposalId)} (${e.state}, block ${e.block}): ${e.detail}`;
    case "log":
      return e.level === "info" ? undefined : `${e.level}: ${e.message}`;
    default:
      return undefined;
  }
}

const pctBps = (bps: number) => `${(bps / 100).toFixed(bps % 100 ? 2 : 0)}%`;

/** The epoch's verdicts in one phrase: honest devices paid, and the targets missed (docs/attestation.md). */
function verdictText(rows: readonly StrategyScore[]): string {
  const paid = rows.filter((r) => STRATEGY_INFO[r.strategy].paid);
  const honest = `honest paid ${paid.reduce((n, r) => n + r.rewarded, 0)}/${paid.reduce((n, r) => n + r.devices, 0)}`;
  const missed = rows.filter((r) => r.failures.length);
  return missed.length
    ? `${honest}, targets missed: ${missed.map((r) => `${r.strategy} (${r.failures.join("; ")})`).join(", ")}`
    : `${honest}, every target met`;
}
