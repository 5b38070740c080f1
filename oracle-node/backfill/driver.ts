import type { Logger } from "pino";
import type { Address, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../contracts/index";
import type { Store } from "../store/index";
import { BackfillError } from "./errors";
import type { Backfill, SettledRoot } from "./interface";

/** Settled epochs behind the chain's last one that a (re)started node looks at. */
export const BACKFILL_WINDOW_EPOCHS = 16n;
/** Tries per epoch (one per settlement this node sees) before it is left to the next restart. */
const MAX_TRIES = 3;
/**
 * An attempt in which no peer's answer was refused (no oracle peer connected, or every stream failed
 * in transport: reset, EOF, timeout) says nothing against the epoch or the peers: it does not use up
 * a try, and is made again after 2 s, 4 s, … 64 s (about two minutes in all) instead of waiting for
 * the next settlement. A restarted node's connections take seconds to form and its first streams may
 * be reset; its catch-up used to spend all three tries on those within a few short epochs and leave
 * the hole open until the next restart (seen in CI: the restarted node never filled epochs 0 and 1).
 */
const TRANSIENT_RETRIES = 6;
const TRANSIENT_RETRY_BASE_MS = 2_000;

export interface BackfillDriver {
  /** The chain settled an epoch: fill it in if this node has no certified result for it. */
  settled(networkId: bigint, epoch: bigint): void;
  /** At start: look at the last `BACKFILL_WINDOW_EPOCHS` settled epochs up to `lastSettled`. */
  catchUp(networkId: bigint, lastSettled: bigint): void;
  /** Something needs a settled epoch this node lacks (the uptime SLA's history): fill it in. */
  fill(networkId: bigint, epoch: bigint): void;
  /** Resolves when the queue is empty (tests). */
  idle(): Promise<void>;
  stop(): void;
}

/**
 * Decides which epochs to fill in and does it one at a time: an epoch the chain settled with a
 * non-zero root, for which this node has no certified result, is not pruned here, and for which
 * this node's own agreement is not still to come (`agreement`: a pending one defers the epoch to the
 * next settlement; a running one is awaited first, then the store looked at again). The root and observations commitment come from the chain's `EpochSettled` log, never from
 * a peer.
 */
export function createBackfillDriver(deps: {
  backfill: Backfill;
  store: Store;
  client: PublicClient;
  settlement: Address;
  /**
   * This node's own agreement for the epoch: "pending" while its clock has not closed the epoch yet
   * (its own agreement will run: nothing to fill in), the running or finished agreement once it did,
   * undefined for an epoch it never ran (before it started) or no longer remembers.
   */
  agreement: (networkId: bigint, epoch: bigint) => Promise<unknown> | "pending" | undefined;
  logger: Logger;
}): BackfillDriver {
  const log = deps.logger.child({ module: "backfill" });
  const queue: { networkId: bigint; epoch: bigint }[] = [];
  const queued = new Set<string>();
  const tries = new Map<string, number>();
  /** Epochs whose own agreement had not begun when they settled: looked at again at the next settlement. */
  const deferred = new Set<string>();
  let draining: Promise<void> = Promise.resolve();
  let stopped = false;
  const retryTimers = new Set<NodeJS.Timeout>();
  /** Timed retries per epoch after attempts in which no peer answered. */
  const transientRetries = new Map<string, number>();
  const retrySoon = (networkId: bigint, epoch: bigint) => {
    const key = `${networkId}:${epoch}`;
    const done = transientRetries.get(key) ?? 0;
    if (stopped || done >= TRANSIENT_RETRIES) return;
    transientRetries.set(key, done + 1);
    const timer = setTimeout(
      () => {
        retryTimers.delete(timer);
        enqueue(networkId, epoch);
      },
      TRANSIENT_RETRY_BASE_MS * 2 ** done,
    );
    timer.unref();
    retryTimers.add(timer);
  };
  const noAnswerRefused = (err: unknown) =>
    err instanceof BackfillError && err.code === "BACKFILL_UNAVAILABLE" && err.context.refusedAnswers === 0;

  const needs = (networkId: bigint, epoch: bigint): boolean => {
    if (deps.store.getEpochResult(networkId, epoch)?.certified) return false;
    const h = deps.store.horizon(networkId);
    return !(h && epoch < h.prunedBefore);
  };

  const settledRoot = async (networkId: bigint, epoch: bigint): Promise<SettledRoot | null> => {
    const logs = await deps.client.getContractEvents({
      address: deps.settlement,
      abi: vigilSettlementAbi,
      eventName: "EpochSettled",
      args: { networkId, epoch },
      fromBlock: "earliest",
    });
    const args = logs[0]?.args;
    if (!args?.resultRoot || !args.observationsCommitment) return null;
    return { resultRoot: args.resultRoot, observationsCommitment: args.observationsCommitment };
  };

  const one = async (networkId: bigint, epoch: bigint): Promise<void> => {
    const key = `${networkId}:${epoch}`;
    const own = deps.agreement(networkId, epoch);
    if (own === "pending") {
      deferred.add(key);
      return;
    }
    deferred.delete(key);
    // Wait for this node's own agreement to end, whatever its outcome (the node logs a failure);
    // the store then says what it left.
    if (own) await Promise.allSettled([own]);
    if (!needs(networkId, epoch)) return;
    const settled = await settledRoot(networkId, epoch);
    if (!settled) {
      log.warn({ networkId, epoch }, "no EpochSettled log for an epoch to fill in; not filled");
      return;
    }
    if (/^0x0+$/.test(settled.resultRoot)) return; // settled as a timeout: there is no result
    tries.set(key, (tries.get(key) ?? 0) + 1);
    await deps.backfill.fill(networkId, epoch, settled);
    tries.delete(key);
    transientRetries.delete(key);
  };

  const drain = async () => {
    while (!stopped && queue.length) {
      const { networkId, epoch } = queue.shift()!;
      queued.delete(`${networkId}:${epoch}`);
      try {
        await one(networkId, epoch);
      } catch (err) {
        const key = `${networkId}:${epoch}`;
        if (noAnswerRefused(err)) {
          // Not the epoch's fault nor a peer's lie: give the try back and ask again shortly.
          tries.set(key, (tries.get(key) ?? 1) - 1);
          log.info(
            { networkId, epoch, peers: (err as BackfillError).context.peers },
            "no peer answered for a missed epoch (none connected, or its stream failed); retrying shortly",
          );
          retrySoon(networkId, epoch);
        } else
          log.warn(
            { err, networkId, epoch, tries: tries.get(key) ?? 0 },
            "could not fill in a missed epoch; retried at the next settlement",
          );
      }
    }
  };

  const enqueue = (networkId: bigint, epoch: bigint) => {
    const key = `${networkId}:${epoch}`;
    if (stopped || queued.has(key) || (tries.get(key) ?? 0) >= MAX_TRIES) return;
    if (!needs(networkId, epoch)) {
      deferred.delete(key);
      tries.delete(key);
      return;
    }
    queued.add(key);
    queue.push({ networkId, epoch });
    draining = draining.then(drain);
  };

  return {
    settled(networkId, epoch) {
      // Called from the settlement watcher: a store that fails here must not throw into it.
      try {
        // Earlier failures and deferred epochs first, then this one; those older than the window
        // are forgotten (the bookkeeping stays bounded whatever the peers do).
        for (const key of [...tries.keys(), ...deferred]) {
          const [n, e] = key.split(":").map(BigInt) as [bigint, bigint];
          if (n !== networkId) continue;
          if (e + BACKFILL_WINDOW_EPOCHS < epoch) {
            tries.delete(key);
            deferred.delete(key);
            transientRetries.delete(key);
          } else enqueue(networkId, e);
        }
        enqueue(networkId, epoch);
      } catch (err) {
        log.warn({ err, networkId, epoch }, "could not look at a settled epoch for backfill");
      }
    },
    catchUp(networkId, lastSettled) {
      const from = lastSettled >= BACKFILL_WINDOW_EPOCHS ? lastSettled - BACKFILL_WINDOW_EPOCHS + 1n : 0n;
      for (let e = from; e <= lastSettled; e++) enqueue(networkId, e);
    },
    fill(networkId, epoch) {
      enqueue(networkId, epoch);
    },
    idle: () => draining,
    stop() {
      stopped = true;
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
    },
  };
}
