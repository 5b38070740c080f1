import type { Logger } from "../logger";
import { defaultRetentionOptions, type RetentionOptions } from "./options";
import type { Store } from "./store";
import type { PruneResult } from "./types";

export interface Retention {
  /**
   * The chain settled `epoch` of the network (and so every epoch before it: the contract settles
   * in order). Prunes the store down to the last `retentionEpochs` settled epochs, at most once per
   * settled epoch and network; returns what was removed, or undefined when nothing was due. Never
   * throws: a failed prune is logged and tried again at the next settlement.
   */
  settled(networkId: bigint, epoch: bigint): PruneResult | undefined;
}

/**
 * The store's retention policy, driven by the node's settlement watcher. Threat: a node whose RSS
 * and disk grow with every epoch until a long-running devnet or mainnet node falls over; the
 * bound must never cost an unsettled epoch (settlement still has to send it) or a signing decision
 * the agreement may still need (the store refuses writes below its horizon).
 */
export function createRetention(
  store: Store,
  options: Partial<RetentionOptions>,
  modules: { logger: Logger },
): Retention {
  const opts: RetentionOptions = { ...defaultRetentionOptions, ...options };
  const log = modules.logger.child({ module: "store" });
  const handled = new Map<bigint, bigint>();
  return {
    settled(networkId, epoch) {
      if ((handled.get(networkId) ?? -1n) >= epoch) return undefined;
      handled.set(networkId, epoch);
      // Keep epochs settled - N + 1 .. settled, and everything after (not settled yet).
      const target = epoch - BigInt(opts.retentionEpochs) + 1n;
      try {
        if (target <= (store.horizon(networkId)?.prunedBefore ?? 0n)) return undefined;
        // A store that ran without retention catches up a bounded slice per settlement.
        const oldest = store.oldestEpoch(networkId);
        const cap = oldest === undefined ? target : oldest + BigInt(opts.maxEpochsPerPrune);
        const before = cap < target ? cap : target;
        const startedAt = performance.now();
        const pruned = store.prune(networkId, before, { retentionEpochs: opts.retentionEpochs });
        const ctx = {
          networkId,
          settledEpoch: epoch,
          beforeEpoch: before,
          rows: pruned.total,
          releasedBytes: pruned.releasedBytes,
          ms: Math.round(performance.now() - startedAt),
          ...(before < target && { backlogEpochs: Number(target - before) }),
        };
        if (pruned.total > 0) log.info(ctx, "pruned the store");
        else log.debug(ctx, "store horizon moved; nothing to prune");
        return pruned;
      } catch (err) {
        handled.delete(networkId);
        log.warn(
          { err, networkId, settledEpoch: epoch },
          "pruning the store failed; retrying at the next settlement",
        );
        return undefined;
      }
    },
  };
}
