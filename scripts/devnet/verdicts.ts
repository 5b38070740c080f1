import type { Address } from "viem";
import { streamVerdicts } from "../../oracle-node/feed/client/index";
import type { EventLog } from "./events";
import type { DevnetNode } from "./nodes";

/** The newest verdicts a `verdicts` event carries for the dashboard's list. */
const LATEST = 8;

/**
 * Follows one node's live verdict stream for the dashboard: every event's signature is checked against
 * the devnet's oracle signers, and once a second the epoch's running count (by outcome) and its newest
 * verdicts go into the event log as a `verdicts` event, so the log grows by one line a second, not by
 * one per challenge. Returns the function that stops following.
 */
export function watchVerdicts(
  o: { node: DevnetNode; networkId: bigint; chainId: number; settlement: Address; signers: Address[] },
  log: EventLog,
  flushMs = 1_000,
): () => void {
  const abort = new AbortController();
  const perEpoch = new Map<number, { total: number; outcomes: Record<string, number>; latest: unknown[] }>();
  const dirty = new Set<number>();
  const flush = setInterval(() => {
    for (const epoch of dirty) {
      const e = perEpoch.get(epoch)!;
      log.emit({ type: "verdicts", epoch, node: o.node.index, ...e, latest: [...e.latest] as never });
    }
    dirty.clear();
  }, flushMs);
  flush.unref();
  const follow = async () => {
    // Reconnects (with Last-Event-ID) across node restarts; a failed check is logged and followed again.
    while (!abort.signal.aborted) {
      try {
        for await (const item of streamVerdicts(o.node.apiUrl, o.networkId, {
          signal: abort.signal,
          verify: { chainId: o.chainId, settlement: o.settlement, signers: o.signers },
          reconnect: { retries: 1_000, backoffMs: 500 },
        })) {
          if (item.type !== "verdict") continue;
          const epoch = Number(item.event.epoch);
          let e = perEpoch.get(epoch);
          if (!e) {
            e = { total: 0, outcomes: {}, latest: [] };
            perEpoch.set(epoch, e);
            for (const k of perEpoch.keys()) if (perEpoch.size > 8) perEpoch.delete(k);
          }
          e.total++;
          e.outcomes[item.event.outcome] = (e.outcomes[item.event.outcome] ?? 0) + 1;
          e.latest.unshift({
            deviceId: item.event.deviceId,
            kind: item.event.kind,
            outcome: item.event.outcome,
            seq: item.event.seq,
          });
          e.latest.length = Math.min(e.latest.length, LATEST);
          dirty.add(epoch);
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        log.emit({
          type: "log",
          level: "warn",
          message: `verdict stream of node ${o.node.index}: ${(err as Error).message}`,
        });
        await new Promise((r) => setTimeout(r, 2_000).unref());
      }
    }
  };
  void follow();
  return () => {
    abort.abort();
    clearInterval(flush);
  };
}
