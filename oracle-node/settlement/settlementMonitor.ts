import type { Logger } from "pino";
import type { NodeMetrics } from "../metrics";

/** What a node says about one network's settlement (`vigil node status`, `/admin/status`). */
export interface SettlementState {
  lastCertifiedEpoch: bigint | null;
  lastSettledEpoch: bigint | null;
  /** Closed epochs not settled on chain yet. */
  lagEpochs: bigint;
  /**
   * following: at most the epoch just closed is unsettled; catching up: more are, and settlement
   * moved within the last two epochs; stalled: it has not (`reason` says what is missing).
   */
  state: "following" | "catching up" | "stalled";
  reason: string | null;
}

export interface SettlementMonitorOptions {
  /** Current epoch of a network and its length in seconds, by this node's clock. */
  clock(networkId: bigint): { epoch: bigint; epochLengthSeconds: number };
  now?: () => number;
}

/**
 * Follows certification (this node's agreement) and settlement (the chain's `EpochSettled`) per
 * network, keeps the `vigil_last_certified_epoch`, `vigil_last_settled_epoch` and
 * `vigil_settlement_lag_epochs` gauges, and warns once per lag value above one epoch. Threat: a
 * settlement that stops (a DON below quorum, an epoch nobody certified, an unfunded transmitter)
 * while every other metric looks healthy.
 */
export function createSettlementMonitor(
  options: SettlementMonitorOptions,
  modules: { logger: Logger; metrics: NodeMetrics },
) {
  const log = modules.logger.child({ module: "settlement-monitor" });
  const now = options.now ?? Date.now;
  const certified = new Map<bigint, bigint>();
  const settled = new Map<bigint, { epoch: bigint; atMs: number }>();
  const warnedAt = new Map<bigint, bigint>();
  const startedAt = now();

  const state = (networkId: bigint): SettlementState => {
    const { epoch, epochLengthSeconds } = options.clock(networkId);
    const last = settled.get(networkId);
    const lastCertified = certified.get(networkId) ?? null;
    const closedUpTo = epoch - 1n;
    const lag = closedUpTo - (last?.epoch ?? -1n);
    const lagEpochs = lag > 0n ? lag : 0n;
    const base = { lastCertifiedEpoch: lastCertified, lastSettledEpoch: last?.epoch ?? null, lagEpochs };
    if (lagEpochs <= 1n) return { ...base, state: "following", reason: null };
    const quietMs = now() - (last?.atMs ?? startedAt);
    if (quietMs < 2 * epochLengthSeconds * 1000) return { ...base, state: "catching up", reason: null };
    const next = (last?.epoch ?? -1n) + 1n;
    const reason =
      lastCertified === null || lastCertified < next
        ? `no certified result for epoch ${next}, the next to settle: it settles empty once the contract's timeout passes`
        : `epoch ${next} is certified here but not settled on chain: check the DON (quorum, transmitter balance)`;
    return { ...base, state: "stalled", reason };
  };

  const publish = (networkId: bigint) => {
    const label = { network: String(networkId) };
    const s = state(networkId);
    modules.metrics.lastCertifiedEpoch.set(label, Number(s.lastCertifiedEpoch ?? -1n));
    modules.metrics.lastSettledEpoch.set(label, Number(s.lastSettledEpoch ?? -1n));
    modules.metrics.settlementLag.set(label, Number(s.lagEpochs));
    if (s.lagEpochs > 1n && warnedAt.get(networkId) !== s.lagEpochs) {
      warnedAt.set(networkId, s.lagEpochs);
      log.warn(
        {
          networkId,
          lagEpochs: Number(s.lagEpochs),
          lastSettledEpoch: s.lastSettledEpoch,
          state: s.state,
          reason: s.reason,
        },
        "settlement lags behind the epoch clock",
      );
    }
  };

  return {
    /** This node holds a certified result for the epoch. */
    certified(networkId: bigint, epoch: bigint) {
      if ((certified.get(networkId) ?? -1n) < epoch) certified.set(networkId, epoch);
      publish(networkId);
    },
    /** The chain recorded the epoch settled (the epoch the chain names, not the one a node asked for). */
    settled(networkId: bigint, epoch: bigint) {
      if ((settled.get(networkId)?.epoch ?? -1n) < epoch) settled.set(networkId, { epoch, atMs: now() });
      publish(networkId);
    },
    /** Re-evaluates the lag on the node's clock (call periodically). */
    tick(networkId: bigint) {
      publish(networkId);
    },
    state,
  };
}

export type SettlementMonitor = ReturnType<typeof createSettlementMonitor>;
