import type { VerdictEvent } from "./source";

/**
 * Fan-out of verdict events to stream subscribers, per network. The node publishes a verdict when
 * its observation of a device is reached and a `settled` event when the settlement watcher sees the
 * root on chain; each feed stream subscribes. Listeners must not throw (the stream buffers itself).
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
