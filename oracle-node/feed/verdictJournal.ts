import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import type { Address, Hex, LocalAccount } from "viem";
import {
  type ProvisionalVerdictJson,
  type SignedStreamEventJson,
  streamEventTypedData,
  type UnsignedStreamEvent,
} from "./client/streamEvents";

/** One signed stream event as stored and served: `body` is its JSON, exactly as signed and sent. */
export interface StreamRecord {
  seq: bigint;
  networkId: bigint;
  epoch: bigint;
  /** Set on a device's verdict; epoch-wide events (settled) reach every device filter. */
  deviceId?: Hex;
  type: SignedStreamEventJson["type"];
  body: string;
}

/** Where the journal keeps its last events (the node's SQLite store, or memory). */
export interface StreamRing {
  /** The newest sequence number ever written, 0n if none. */
  lastSeq(): bigint;
  /** The oldest one still held, undefined when empty. */
  oldestSeq(): bigint | undefined;
  append(record: StreamRecord, keep: number): void;
  after(networkId: bigint, afterSeq: bigint, limit: number, deviceId?: Hex): StreamRecord[];
}

/** What the feed API reads to serve the stream: live records, replay after a sequence number, bounds. */
export interface VerdictStream {
  subscribe(networkId: bigint, listener: (record: StreamRecord) => void): () => void;
  after(networkId: bigint, afterSeq: bigint, limit: number, deviceId?: Hex): StreamRecord[];
  bounds(): { oldest: bigint | undefined; latest: bigint };
  /** Events held for resume (the ring's size), for the API's `reset` message. */
  readonly resumeEvents: number;
}

export interface VerdictJournalOptions {
  chainId: number | bigint;
  settlement: Address;
  /**
   * Provisional verdicts one node publishes per device per epoch at most: a device's first challenges
   * say whether it serves; past that, the agreed line says the rest. Bounds the stream (and the
   * signing work) to `devices × cap` per epoch whatever the challenge policy issues.
   */
  maxVerdictsPerDevice: number;
  /** Events kept for `Last-Event-ID` resume, all networks together. */
  resumeEvents: number;
  /** Events waiting to be signed at most; past it new ones are dropped (counted), never queued unboundedly. */
  maxPending: number;
}

export const defaultVerdictJournalOptions = {
  maxVerdictsPerDevice: 16,
  // 4096 events: at the default cap, a full epoch of 256 devices, or minutes of a larger one; what a
  // reader that reconnects after a network blip needs, small enough to scan on every resume.
  resumeEvents: 4096,
  maxPending: 4096,
} satisfies Partial<VerdictJournalOptions>;

export interface VerdictJournalModules {
  ring: StreamRing;
  /** The node's Ethereum signer (its registered operator signer). */
  account: Pick<LocalAccount, "address" | "signTypedData">;
  logger?: Pick<Logger, "warn">;
  metrics?: Registry;
  now?: () => number;
}

export interface ProvisionalVerdictInput {
  deviceId: Hex;
  kind: ProvisionalVerdictJson["kind"];
  outcome: ProvisionalVerdictJson["outcome"];
  challengeId: Hex;
  evidenceHash?: Hex;
}

export interface VerdictJournal extends VerdictStream {
  /** Publishes a provisional verdict (signed, numbered, stored); never throws, never waits. */
  verdict(networkId: bigint, epoch: bigint, v: ProvisionalVerdictInput): void;
  /** Publishes that the epoch's root is on chain. */
  settled(networkId: bigint, epoch: bigint, resultRoot: Hex): void;
  /** Resolves when every event handed in so far is signed and published (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * The node's verdict stream: numbers each event with a per-node sequence that survives restarts (the
 * ring's last one), signs it with the node's Ethereum signer (EIP-712, see client/streamEvents.ts),
 * keeps the last `resumeEvents` for `Last-Event-ID` resume and fans it out to the open streams and
 * webhooks. Signing is serialized so sequence numbers go out in order; verification never waits for it.
 */
export function createVerdictJournal(
  options: Partial<VerdictJournalOptions> & Pick<VerdictJournalOptions, "chainId" | "settlement">,
  modules: VerdictJournalModules,
): VerdictJournal {
  const opts: VerdictJournalOptions = { ...defaultVerdictJournalOptions, ...options };
  const { ring, account } = modules;
  const now = modules.now ?? Date.now;
  const dropped =
    modules.metrics &&
    new Counter({
      name: "vigil_feed_events_dropped_total",
      help: "Verdict stream events not published: over the per-device cap, or the signing backlog was full",
      labelNames: ["reason"] as const,
      registers: [modules.metrics],
    });
  const published =
    modules.metrics &&
    new Counter({
      name: "vigil_feed_events_total",
      help: "Verdict stream events signed and published, by type",
      labelNames: ["type"] as const,
      registers: [modules.metrics],
    });
  const listeners = new Map<bigint, Set<(record: StreamRecord) => void>>();
  let seq = ring.lastSeq();
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  // Verdicts per `network:epoch` and device: only the open epochs matter (two per network), the last
  // 16 keys cover eight networks.
  const counts = new Map<string, Map<Hex, number>>();

  const enqueue = (
    networkId: bigint,
    epoch: bigint,
    deviceId: Hex | undefined,
    unsigned: (seq: bigint, timeMs: bigint) => UnsignedStreamEvent,
  ) => {
    if (pending >= opts.maxPending) {
      dropped?.inc({ reason: "backlog" });
      return;
    }
    pending++;
    seq += 1n;
    const event = unsigned(seq, BigInt(now()));
    const mySeq = seq;
    chain = chain
      .then(async () => {
        const typed = streamEventTypedData(event, opts);
        const signature =
          typed.primaryType === "SettledNotice"
            ? await account.signTypedData(typed)
            : await account.signTypedData(typed);
        const record: StreamRecord = {
          seq: mySeq,
          networkId,
          epoch,
          ...(deviceId ? { deviceId } : {}),
          type: event.type,
          body: JSON.stringify({ ...event, signature }),
        };
        ring.append(record, opts.resumeEvents);
        published?.inc({ type: event.type });
        for (const listener of listeners.get(networkId) ?? []) listener(record);
      })
      .catch((err: unknown) => {
        // A lost event costs readers a gap they see in the sequence; it must not stop the next ones.
        dropped?.inc({ reason: "error" });
        modules.logger?.warn({ err, networkId, epoch, seq: mySeq }, "verdict stream event not published");
      })
      .finally(() => {
        pending--;
      });
  };

  return {
    resumeEvents: opts.resumeEvents,
    verdict(networkId, epoch, v) {
      const key = `${networkId}:${epoch}`;
      let perDevice = counts.get(key);
      if (!perDevice) {
        perDevice = new Map();
        counts.set(key, perDevice);
        for (const k of counts.keys()) if (counts.size > 16) counts.delete(k);
      }
      const deviceId = v.deviceId.toLowerCase() as Hex;
      const n = perDevice.get(deviceId) ?? 0;
      // Fraud is always told: it is the one verdict a consumer must not miss.
      if (n >= opts.maxVerdictsPerDevice && v.outcome !== "fraud") {
        dropped?.inc({ reason: "cap" });
        return;
      }
      perDevice.set(deviceId, n + 1);
      enqueue(networkId, epoch, deviceId, (s, t) => ({
        type: "verdict",
        provisional: true,
        networkId: networkId.toString(),
        epoch: epoch.toString(),
        deviceId,
        kind: v.kind,
        outcome: v.outcome,
        challengeId: v.challengeId.toLowerCase(),
        evidenceHash: v.evidenceHash?.toLowerCase() ?? null,
        seq: s.toString(),
        timeMs: t.toString(),
        signer: account.address,
      }));
    },
    settled(networkId, epoch, resultRoot) {
      enqueue(networkId, epoch, undefined, (s, t) => ({
        type: "settled",
        networkId: networkId.toString(),
        epoch: epoch.toString(),
        resultRoot: resultRoot.toLowerCase(),
        seq: s.toString(),
        timeMs: t.toString(),
        signer: account.address,
      }));
    },
    idle: () => chain,
    subscribe(networkId, listener) {
      const set = listeners.get(networkId) ?? new Set();
      listeners.set(networkId, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(networkId);
      };
    },
    after: (networkId, afterSeq, limit, deviceId) => ring.after(networkId, afterSeq, limit, deviceId),
    bounds: () => ({ oldest: ring.oldestSeq(), latest: ring.lastSeq() }),
  };
}

/** A ring in memory (tests, the in-memory feed source); the node's is its SQLite store (`storeRing`). */
export function createMemoryRing(): StreamRing {
  const records: StreamRecord[] = [];
  let last = 0n;
  return {
    lastSeq: () => last,
    oldestSeq: () => records[0]?.seq,
    append(record, keep) {
      records.push(record);
      last = record.seq;
      if (records.length > keep) records.splice(0, records.length - keep);
    },
    after(networkId, afterSeq, limit, deviceId) {
      const wanted = deviceId?.toLowerCase();
      const out: StreamRecord[] = [];
      for (const r of records) {
        if (out.length >= limit) break;
        if (r.seq <= afterSeq || r.networkId !== networkId) continue;
        if (wanted && r.deviceId && r.deviceId !== wanted) continue;
        out.push(r);
      }
      return out;
    },
  };
}

/** The node's SQLite store as the journal's ring (table `feed_events`). */
export function storeRing(store: {
  lastFeedSeq(): bigint;
  oldestFeedSeq(): bigint | undefined;
  appendFeedEvent(
    e: { seq: bigint; networkId: bigint; epoch: bigint; deviceId?: Hex; type: string; body: string },
    keep: number,
  ): void;
  feedEventsAfter(
    networkId: bigint,
    afterSeq: bigint,
    limit: number,
    deviceId?: Hex,
  ): { seq: bigint; epoch: bigint; type: string; body: string }[];
}): StreamRing {
  return {
    lastSeq: () => store.lastFeedSeq(),
    oldestSeq: () => store.oldestFeedSeq(),
    append: (record, keep) => store.appendFeedEvent(record, keep),
    after: (networkId, afterSeq, limit, deviceId) =>
      store.feedEventsAfter(networkId, afterSeq, limit, deviceId).map((r) => ({
        seq: r.seq,
        networkId,
        epoch: r.epoch,
        type: r.type as StreamRecord["type"],
        body: r.body,
      })),
  };
}
