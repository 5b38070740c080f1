import type { VerdictEvent } from "./source";

/**
 * In-process fan-out of unsigned events, per network: the node publishes `settled` when its settlement
 * watcher sees a root on chain, and its own modules (backfill) subscribe. The public verdict stream
 * is the signed, numbered journal (verdictJournal.ts), not this hub. Listeners must not throw.
 */
export interface VerdictHub {
  publish(event: VerdictEvent): void;
  subscribe(networkId: bigint, listener: (event: VerdictEvent) => void): () => void;
  /** Listeners currently subscribed, all networks together. */
  readonly size: number;
}

export function createVerdictHub(): VerdictHub {
  const listeners = new Map<bigint, Set<(event: VerdictEvent) => void>>();
  let size = 0;
  return {
    publish(event) {
      for (const listener of listeners.get(event.networkId) ?? []) listener(event);
    },
    subscribe(networkId, listener) {
      const set = listeners.get(networkId) ?? new Set();
      listeners.set(networkId, set);
      if (!set.has(listener)) size++;
      set.add(listener);
      return () => {
        if (set.delete(listener)) size--;
        if (set.size === 0) listeners.delete(networkId);
      };
    },
    get size() {
      return size;
    },
  };
}
