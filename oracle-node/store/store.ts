import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { Registry } from "prom-client";
import type { Address, Hex } from "viem";
import type {
  DeviceLine,
  DeviceSlash,
  EpochResult,
  EquivocationEvidence,
  ResultVote,
} from "../agreement/types";
import { StoreError } from "./errors";
import { createStoreMetrics, type StoreMetrics } from "./metrics";
import { MIGRATIONS } from "./migrations";
import { defaultStoreOptions, type StoreOptions } from "./options";
import type {
  ConsensusState,
  EpochSummary,
  LineWithProof,
  PrunedTable,
  PruneResult,
  RetentionHorizon,
  SigningDecision,
  SigningKind,
  StoredFraudEvidence,
  StoredObservation,
  StoredResult,
  StoreFileBytes,
} from "./types";

const INT64_MAX = (1n << 63n) - 1n;

function int(v: bigint, what: string): bigint {
  if (v < 0n || v > INT64_MAX) throw new StoreError("STORE_OUT_OF_RANGE", `${what} ${v} does not fit int64`);
  return v;
}

type Row = Record<string, SQLInputValue>;

/** A pending webhook delivery (table `webhook_deliveries`); the feed's `WebhookQueue` reads these. */
export interface StoredWebhookDelivery {
  seq: bigint;
  eventId: string;
  type: string;
  body: string;
  attempts: number;
  nextAttemptAt: number;
}

/**
 * The store holds what this operator signed and saw: readable by the operator alone. A data dir the
 * store creates is 0700 (one that exists is the operator's choice, e.g. a mount point, and is left
 * alone). The database file is created 0600 before SQLite opens it (SQLite would make it 0644), and
 * a file from an older version is narrowed to 0600; SQLite gives its `-wal` and `-shm` files the
 * database file's mode, and any left over from before are narrowed too.
 */
function createPrivately(dataDir: string, path: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat && (stat.mode & 0o077) !== 0) chmodSync(file, stat.mode & 0o700);
  }
}

function hexOf(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** Lines per INSERT statement (9 parameters each, well under SQLite's 32766-parameter limit). */
const LINES_PER_INSERT = 100;

/** Every table keyed by (network_id, epoch) that `prune` empties below the horizon. */
const PRUNED_TABLES: readonly PrunedTable[] = [
  "observations",
  "results",
  "lines",
  "votes",
  "signing_decisions",
  "consensus_state",
  "fraud_evidence",
];

/**
 * Fraud evidence bundles kept per device and epoch: each assigned challenger (k of them, 3 to 5 in
 * practice) signs its own bundle per failed challenge, and the slash that lands on chain is one of the
 * first agreed; 16 keeps every assigned oracle's first bundles while a device flooding fraud answers
 * costs at most 16 × 64 KiB (`MAX_EVIDENCE_BYTES`) per epoch.
 */
export const FRAUD_EVIDENCE_PER_DEVICE = 16;

/**
 * The node's SQLite database (node:sqlite, WAL). Agreement writes through it; the API and feed read
 * it through the typed queries at the bottom. One writer per file (the node process).
 *
 * Retention (issue 16): the store keeps a bounded history. `prune(network, before)` deletes every
 * row of the epochs below `before` (observations, results, lines, votes, signing decisions,
 * consensus state) in one transaction and records the horizon; `retention.ts` calls it once per
 * settled epoch with `before = settled - retention_epochs + 1`, so unsettled epochs are never
 * deleted. Below the horizon the store refuses writes (late gossip is dropped, a signing decision
 * throws STORE_PRUNED: an epoch whose decisions are gone can never be signed again) and the feed
 * answers 410. Kept whatever their age: the equivocation evidence (a few rows per misbehaving
 * oracle; `slashEquivocation` takes it at any age) and the schema. New databases use
 * `auto_vacuum = INCREMENTAL`: each prune keeps the pages it freed for the next epoch's rows and
 * hands older free pages back to the file system; databases created before keep reusing their
 * free pages (the file stops growing, it does not shrink: docs/operator.md says how to convert).
 */
export class Store {
  readonly db: DatabaseSync;
  /** Path of the database file (its WAL is `<path>-wal`). */
  readonly path: string;
  private readonly stmts = new Map<string, StatementSync>();
  private readonly horizons = new Map<bigint, RetentionHorizon | null>();
  private readonly metrics: StoreMetrics | undefined;
  private closed = false;

  private constructor(
    db: DatabaseSync,
    path: string,
    private readonly decisionSync: StoreOptions["synchronous"],
    private readonly incrementalVacuum: boolean,
    metrics: Registry | undefined,
  ) {
    this.db = db;
    this.path = path;
    this.metrics = metrics && createStoreMetrics(metrics, () => this.fileBytes());
  }

  /** Runs `fn` as a commit that is fsynced before returning (the WAL frames before it go to disk too). */
  private durable<T>(fn: () => T): T {
    if (this.decisionSync === "NORMAL") return fn();
    this.db.exec("PRAGMA synchronous = FULL");
    try {
      return fn();
    } finally {
      this.db.exec("PRAGMA synchronous = NORMAL");
    }
  }

  /** `modules.metrics`: registers `vigil_store_pruned_rows_total` and `vigil_store_bytes` there. */
  static open(
    options: Partial<StoreOptions> & { dataDir: string },
    modules: { metrics?: Registry } = {},
  ): Store {
    const opts: StoreOptions = { ...defaultStoreOptions, ...options };
    const path = join(opts.dataDir, opts.fileName);
    createPrivately(opts.dataDir, path);
    const db = new DatabaseSync(path);
    // auto_vacuum can only be chosen before the first page is written (switching WAL on writes one).
    const { page_count: pages } = db.prepare("PRAGMA page_count").get() as { page_count: number };
    if (pages === 0) db.exec("PRAGMA auto_vacuum = INCREMENTAL");
    // Received data (observations, votes, results) can be re-fetched from peers, so its commits only
    // need to survive a process crash (WAL + NORMAL); signing decisions and locks use `durable`.
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    db.exec(`PRAGMA journal_size_limit = ${Math.floor(opts.journalSizeLimitBytes)}`);
    migrate(db);
    const { auto_vacuum: vacuum } = db.prepare("PRAGMA auto_vacuum").get() as { auto_vacuum: number };
    return new Store(db, path, opts.synchronous, vacuum === 2, modules.metrics);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private stmt(sql: string): StatementSync {
    if (this.closed) throw new StoreError("STORE_CLOSED", "store is closed");
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      s.setReadBigInts(true);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private tx<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  // --- signing decisions -------------------------------------------------------------------------

  /**
   * Records the intent to sign `value` for (network, epoch, kind, view) unless a decision exists.
   * Returns the value now on record: the caller signs only if it equals what it asked for. The row is
   * committed (fsynced with synchronous=FULL) before this returns, i.e. before any signature exists.
   */
  recordSigningDecision(d: SigningDecision): string {
    const args = [int(d.networkId, "networkId"), int(d.epoch, "epoch"), d.kind, d.view] as const;
    this.refusePruned(d.networkId, d.epoch, "signing decision");
    this.durable(() =>
      this.stmt(
        "INSERT OR IGNORE INTO signing_decisions (network_id, epoch, kind, view, value, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(...args, d.value, Date.now()),
    );
    return this.getSigningDecision(d.networkId, d.epoch, d.kind, d.view)!;
  }

  getSigningDecision(networkId: bigint, epoch: bigint, kind: SigningKind, view: number): string | undefined {
    const row = this.stmt(
      "SELECT value FROM signing_decisions WHERE network_id = ? AND epoch = ? AND kind = ? AND view = ?",
    ).get(int(networkId, "networkId"), int(epoch, "epoch"), kind, view) as { value: string } | undefined;
    return row?.value;
  }

  saveConsensusState(s: ConsensusState): void {
    this.refusePruned(s.networkId, s.epoch, "consensus state");
    this.durable(() => this.writeConsensusState(s));
  }

  private writeConsensusState(s: ConsensusState): void {
    this.stmt(
      `INSERT INTO consensus_state (network_id, epoch, view, locked_value, locked_view, valid_value, valid_view, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (network_id, epoch) DO UPDATE SET view = excluded.view, locked_value = excluded.locked_value,
         locked_view = excluded.locked_view, valid_value = excluded.valid_value, valid_view = excluded.valid_view,
         updated_at = excluded.updated_at`,
    ).run(
      int(s.networkId, "networkId"),
      int(s.epoch, "epoch"),
      s.view,
      s.lockedValue,
      s.lockedView,
      s.validValue,
      s.validView,
      Date.now(),
    );
  }

  getConsensusState(networkId: bigint, epoch: bigint): ConsensusState | undefined {
    const r = this.stmt("SELECT * FROM consensus_state WHERE network_id = ? AND epoch = ?").get(
      int(networkId, "networkId"),
      int(epoch, "epoch"),
    ) as Row | undefined;
    if (!r) return undefined;
    return {
      networkId,
      epoch,
      view: Number(r.view),
      lockedValue: (r.locked_value as string | null) ?? null,
      lockedView: Number(r.locked_view),
      validValue: (r.valid_value as string | null) ?? null,
      validView: Number(r.valid_view),
    };
  }

  // --- fraud evidence ------------------------------------------------------------------------------

  /**
   * Stores a fraud evidence bundle the caller verified (who judged it, under the chain's assignment);
   * false if already held, its epoch is pruned, or the device has `FRAUD_EVIDENCE_PER_DEVICE` bundles
   * in the epoch already (the first ones are kept).
   */
  saveFraudEvidence(e: StoredFraudEvidence): boolean {
    if (this.isPruned(e.networkId, e.epoch)) return false;
    const n = int(e.networkId, "networkId");
    const epoch = int(e.epoch, "epoch");
    const deviceId = e.deviceId.toLowerCase();
    return this.tx(() => {
      const { count } = this.stmt(
        "SELECT COUNT(*) AS count FROM fraud_evidence WHERE network_id = ? AND epoch = ? AND device_id = ?",
      ).get(n, epoch, deviceId) as { count: number | bigint };
      if (Number(count) >= FRAUD_EVIDENCE_PER_DEVICE) return false;
      const res = this.stmt(
        `INSERT OR IGNORE INTO fraud_evidence (network_id, epoch, evidence_hash, device_id, bytes, received_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(n, epoch, e.evidenceHash.toLowerCase(), deviceId, e.bytes, Date.now());
      return Number(res.changes) > 0;
    });
  }

  // --- observations --------------------------------------------------------------------------------

  /** Stores a verified observation; false if it was already there or its epoch is pruned. */
  saveObservation(o: StoredObservation): boolean {
    if (this.isPruned(o.networkId, o.epoch)) return false;
    const res = this.stmt(
      `INSERT OR IGNORE INTO observations (network_id, epoch, observer, hash, peer_id, bytes, envelope, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      int(o.networkId, "networkId"),
      int(o.epoch, "epoch"),
      o.observer.toLowerCase(),
      o.hash,
      o.peerId,
      o.bytes,
      o.envelope,
      Date.now(),
    );
    return Number(res.changes) > 0;
  }

  getObservations(networkId: bigint, epoch: bigint): StoredObservation[] {
    const rows = this.stmt(
      "SELECT * FROM observations WHERE network_id = ? AND epoch = ? ORDER BY observer, received_at",
    ).all(int(networkId, "networkId"), int(epoch, "epoch")) as Row[];
    return rows.map((r) => ({
      networkId,
      epoch,
      observer: r.observer as Address,
      hash: r.hash as Hex,
      peerId: r.peer_id as string,
      bytes: new Uint8Array(r.bytes as Uint8Array),
      envelope: new Uint8Array(r.envelope as Uint8Array),
    }));
  }

  // --- results, lines, votes -----------------------------------------------------------------------

  /** Stores a computed result with its lines and tree (idempotent for the same result). */
  saveResult(result: EpochResult, tree: { nodes: Uint8Array; treeIndex: number[] }): void {
    const n = int(result.networkId, "networkId");
    const e = int(result.epoch, "epoch");
    this.refusePruned(n, e, "result");
    this.tx(() => {
      this.stmt("DELETE FROM lines WHERE network_id = ? AND epoch = ?").run(n, e);
      this.stmt(
        `INSERT OR REPLACE INTO results (network_id, epoch, result_root, observations_commitment, device_count,
           qualified_count, total_reward, total_slash, slashes, observations, tree, certified, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
      ).run(
        n,
        e,
        result.resultRoot,
        result.observationsCommitment,
        result.deviceCount,
        result.qualifiedCount,
        result.totalReward.toString(),
        result.totalSlash.toString(),
        JSON.stringify(result.slashes.map((s) => ({ ...s, amount: s.amount.toString() }))),
        JSON.stringify(result.observations),
        tree.nodes,
        Date.now(),
      );
      // Many rows per statement: ~30% faster than one run() per line at 100k lines.
      const cols = "(network_id, epoch, device_id, owner, uptime_bps, work, reward, slash, tree_index)";
      const insert = (rows: number) =>
        this.stmt(
          `INSERT INTO lines ${cols} VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
        );
      const row = (i: number) => {
        const l = result.lines[i]!;
        return [
          n,
          e,
          l.deviceId.toLowerCase(),
          l.owner,
          l.uptimeBps,
          l.work.toString(),
          l.reward.toString(),
          l.slash.toString(),
          tree.treeIndex[i]!,
        ];
      };
      const count = result.lines.length;
      for (let i = 0; i < count; i += LINES_PER_INSERT) {
        const rows = Math.min(LINES_PER_INSERT, count - i);
        const values: SQLInputValue[] = [];
        for (let j = i; j < i + rows; j++) values.push(...row(j));
        insert(rows).run(...values);
      }
    });
  }

  markCertified(networkId: bigint, epoch: bigint): void {
    this.stmt("UPDATE results SET certified = 1 WHERE network_id = ? AND epoch = ?").run(
      int(networkId, "networkId"),
      int(epoch, "epoch"),
    );
  }

  /** Stores a verified vote; false if it was already there or its epoch is pruned. */
  saveVote(v: ResultVote): boolean {
    if (this.isPruned(v.networkId, v.epoch)) return false;
    const res = this.stmt(
      `INSERT OR IGNORE INTO votes (network_id, epoch, signer, result_root, observations_commitment, signature, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      int(v.networkId, "networkId"),
      int(v.epoch, "epoch"),
      v.signer.toLowerCase(),
      v.resultRoot,
      v.observationsCommitment,
      v.signature,
      Date.now(),
    );
    return Number(res.changes) > 0;
  }

  getVotes(networkId: bigint, epoch: bigint): ResultVote[] {
    const rows = this.stmt("SELECT * FROM votes WHERE network_id = ? AND epoch = ? ORDER BY signer").all(
      int(networkId, "networkId"),
      int(epoch, "epoch"),
    ) as Row[];
    return rows.map((r) => ({
      networkId,
      epoch,
      signer: r.signer as Address,
      resultRoot: r.result_root as Hex,
      observationsCommitment: r.observations_commitment as Hex,
      signature: r.signature as Hex,
    }));
  }

  /** Stores equivocation evidence once per (network, epoch, signer, kind); false if already known. */
  saveEquivocation(e: EquivocationEvidence): boolean {
    const res = this.stmt(
      `INSERT OR IGNORE INTO equivocations (network_id, epoch, signer, kind, first, second, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      int(e.networkId, "networkId"),
      int(e.epoch, "epoch"),
      e.signer.toLowerCase(),
      e.kind,
      e.first,
      e.second,
      Date.now(),
    );
    return Number(res.changes) > 0;
  }

  // --- verdict stream events -----------------------------------------------------------------------

  /** The newest stream event's sequence number, or 0n when none was ever written (numbering starts at 1). */
  lastFeedSeq(): bigint {
    const row = this.stmt("SELECT MAX(seq) AS seq FROM feed_events").get() as { seq: bigint | null };
    return row.seq ?? 0n;
  }

  /** The oldest stream event still held, or undefined when none is. */
  oldestFeedSeq(): bigint | undefined {
    const row = this.stmt("SELECT MIN(seq) AS seq FROM feed_events").get() as { seq: bigint | null };
    return row.seq ?? undefined;
  }

  /**
   * Appends a stream event and drops the ones more than `keep` behind it (the resume ring). Not in
   * the durable path: losing the last events in a crash costs a reader a `reset`, never a decision.
   */
  appendFeedEvent(
    e: { seq: bigint; networkId: bigint; epoch: bigint; deviceId?: Hex; type: string; body: string },
    keep: number,
  ): void {
    if (!(keep >= 1)) throw new RangeError(`feed event ring must keep at least 1 event, got ${keep}`);
    this.stmt(
      "INSERT INTO feed_events (seq, network_id, epoch, device_id, type, body) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(
      int(e.seq, "seq"),
      int(e.networkId, "networkId"),
      int(e.epoch, "epoch"),
      e.deviceId?.toLowerCase() ?? null,
      e.type,
      e.body,
    );
    // `keep` >= 1: the newest row always stays, so the sequence never restarts.
    if (e.seq > BigInt(keep))
      this.stmt("DELETE FROM feed_events WHERE seq <= ?").run(int(e.seq - BigInt(keep), "seq"));
  }

  /** Stream events of a network after `afterSeq`, oldest first, at most `limit`; optionally one device's and epoch-wide ones. */
  feedEventsAfter(
    networkId: bigint,
    afterSeq: bigint,
    limit: number,
    deviceId?: Hex,
  ): { seq: bigint; epoch: bigint; type: string; body: string }[] {
    const rows = (
      deviceId
        ? this.stmt(
            `SELECT seq, epoch, type, body FROM feed_events WHERE network_id = ? AND seq > ?
             AND (device_id IS NULL OR device_id = ?) ORDER BY seq LIMIT ?`,
          ).all(int(networkId, "networkId"), int(afterSeq, "seq"), deviceId.toLowerCase(), limit)
        : this.stmt(
            "SELECT seq, epoch, type, body FROM feed_events WHERE network_id = ? AND seq > ? ORDER BY seq LIMIT ?",
          ).all(int(networkId, "networkId"), int(afterSeq, "seq"), limit)
    ) as { seq: bigint; epoch: bigint; type: string; body: string }[];
    return rows;
  }

  // --- webhook deliveries --------------------------------------------------------------------------

  /**
   * Queues one stream event for each receiver (one transaction), then drops each receiver's oldest
   * deliveries beyond `maxQueue` and adds them to its dropped counter. Returns how many were dropped
   * per receiver (only receivers that dropped any). Not fsynced: a crash loses at most the last
   * events queued, which the receiver sees as a gap in `seq`.
   */
  enqueueWebhookDeliveries(
    receivers: readonly string[],
    d: { seq: bigint; eventId: string; type: string; body: string; nextAttemptAt: number },
    maxQueue: number,
  ): Map<string, number> {
    if (!(maxQueue >= 1)) throw new RangeError(`webhook queue must hold at least 1 event, got ${maxQueue}`);
    const dropped = new Map<string, number>();
    this.tx(() => {
      for (const receiver of receivers) {
        this.stmt(
          `INSERT OR IGNORE INTO webhook_deliveries (receiver, seq, event_id, type, body, attempts, next_attempt_at)
           VALUES (?, ?, ?, ?, ?, 0, ?)`,
        ).run(receiver, int(d.seq, "seq"), d.eventId, d.type, d.body, d.nextAttemptAt);
        const res = this.stmt(
          `DELETE FROM webhook_deliveries WHERE receiver = ?1 AND seq IN
           (SELECT seq FROM webhook_deliveries WHERE receiver = ?1 ORDER BY seq DESC LIMIT -1 OFFSET ?2)`,
        ).run(receiver, maxQueue);
        const n = Number(res.changes);
        if (n === 0) continue;
        dropped.set(receiver, n);
        this.stmt(
          `INSERT INTO webhook_receivers (receiver, dropped) VALUES (?1, ?2)
           ON CONFLICT (receiver) DO UPDATE SET dropped = dropped + ?2`,
        ).run(receiver, n);
      }
    });
    return dropped;
  }

  /** The receiver's oldest pending delivery (the next to send), or undefined when its queue is empty. */
  nextWebhookDelivery(receiver: string): StoredWebhookDelivery | undefined {
    const sql = "SELECT * FROM webhook_deliveries WHERE receiver = ? ORDER BY seq LIMIT 1";
    const r = this.stmt(sql).get(receiver) as Row | undefined;
    if (!r) return undefined;
    return {
      seq: r.seq as bigint,
      eventId: r.event_id as string,
      type: r.type as string,
      body: r.body as string,
      attempts: Number(r.attempts),
      nextAttemptAt: Number(r.next_attempt_at),
    };
  }

  /** Records a failed attempt; false when the delivery is gone (dropped from a full queue meanwhile). */
  webhookAttemptFailed(receiver: string, seq: bigint, attempts: number, nextAttemptAt: number): boolean {
    const res = this.stmt(
      "UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = ? WHERE receiver = ? AND seq = ?",
    ).run(attempts, nextAttemptAt, receiver, int(seq, "seq"));
    return Number(res.changes) > 0;
  }

  /** Removes a delivery (accepted, refused, or out of retries). */
  removeWebhookDelivery(receiver: string, seq: bigint): void {
    this.stmt("DELETE FROM webhook_deliveries WHERE receiver = ? AND seq = ?").run(receiver, int(seq, "seq"));
  }

  /** Every receiver with pending deliveries or a dropped counter: how many wait, how many were dropped. */
  webhookReceivers(): { receiver: string; pending: number; dropped: bigint }[] {
    const rows = this.stmt(
      `SELECT receiver, SUM(pending) AS pending, SUM(dropped) AS dropped FROM (
         SELECT receiver, COUNT(*) AS pending, 0 AS dropped FROM webhook_deliveries GROUP BY receiver
         UNION ALL SELECT receiver, 0, dropped FROM webhook_receivers)
       GROUP BY receiver ORDER BY receiver`,
    ).all() as Row[];
    return rows.map((r) => ({
      receiver: r.receiver as string,
      pending: Number(r.pending),
      dropped: BigInt(r.dropped as bigint),
    }));
  }

  /** Deletes a receiver's queue and counter (it left the config); returns the deliveries deleted. */
  forgetWebhookReceiver(receiver: string): number {
    return this.tx(() => {
      const res = this.stmt("DELETE FROM webhook_deliveries WHERE receiver = ?").run(receiver);
      this.stmt("DELETE FROM webhook_receivers WHERE receiver = ?").run(receiver);
      return Number(res.changes);
    });
  }

  // --- retention ---------------------------------------------------------------------------------

  /**
   * Deletes every row of the network's epochs below `beforeEpoch` (see the class doc for what is
   * kept) in one transaction, records the new horizon, then hands free pages older than this prune
   * back to the file system. The caller picks `beforeEpoch` (never above an unsettled epoch: see
   * `retention.ts`). A horizon at or below the recorded one is a no-op that writes nothing.
   * `retentionEpochs` is recorded so the feed can name the policy in its 410.
   */
  prune(networkId: bigint, beforeEpoch: bigint, opts: { retentionEpochs?: number } = {}): PruneResult {
    const n = int(networkId, "networkId");
    const before = int(beforeEpoch, "beforeEpoch");
    const rows = Object.fromEntries(PRUNED_TABLES.map((t) => [t, 0])) as Record<PrunedTable, number>;
    const current = this.horizon(n)?.prunedBefore ?? 0n;
    if (before <= current) return { networkId, beforeEpoch: current, rows, total: 0, releasedBytes: 0 };
    // Pages already free before this prune sat unused through a whole epoch of writes: give them back.
    // The pages this prune frees are kept for the next epoch's rows, so the file does not shrink and
    // regrow every epoch.
    const idle = this.pragma("freelist_count");
    this.tx(() => {
      for (const table of PRUNED_TABLES)
        rows[table] = Number(
          this.stmt(`DELETE FROM ${table} WHERE network_id = ? AND epoch < ?`).run(n, before).changes,
        );
      this.stmt(
        `INSERT INTO retention (network_id, pruned_before, retention_epochs, pruned_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (network_id) DO UPDATE SET pruned_before = excluded.pruned_before,
           retention_epochs = excluded.retention_epochs, pruned_at = excluded.pruned_at`,
      ).run(n, before, opts.retentionEpochs ?? null, Date.now());
    });
    this.horizons.set(n, {
      networkId: n,
      prunedBefore: before,
      retentionEpochs: opts.retentionEpochs ?? null,
    });
    let releasedBytes = 0;
    if (this.incrementalVacuum && idle > 0) {
      const free = this.pragma("freelist_count");
      this.db.exec(`PRAGMA incremental_vacuum(${idle})`);
      releasedBytes = (free - this.pragma("freelist_count")) * this.pragma("page_size");
    }
    const total = Object.values(rows).reduce((a, b) => a + b, 0);
    if (this.metrics)
      for (const table of PRUNED_TABLES)
        if (rows[table] > 0) this.metrics.prunedRows.inc({ network: String(n), table }, rows[table]);
    return { networkId, beforeEpoch: before, rows, total, releasedBytes };
  }

  /** Where the network's history starts, if it was ever pruned. */
  horizon(networkId: bigint): RetentionHorizon | undefined {
    const n = int(networkId, "networkId");
    let h = this.horizons.get(n);
    if (h === undefined) {
      const r = this.stmt("SELECT pruned_before, retention_epochs FROM retention WHERE network_id = ?").get(
        n,
      ) as Row | undefined;
      h = r
        ? {
            networkId: n,
            prunedBefore: r.pruned_before as bigint,
            retentionEpochs: r.retention_epochs === null ? null : Number(r.retention_epochs),
          }
        : null;
      this.horizons.set(n, h);
    }
    return h ?? undefined;
  }

  /** The lowest epoch of the network with any pruned-table row, if any. */
  oldestEpoch(networkId: bigint): bigint | undefined {
    const n = int(networkId, "networkId");
    const mins = PRUNED_TABLES.map((t) => `SELECT MIN(epoch) AS e FROM ${t} WHERE network_id = ?1`);
    const r = this.stmt(`SELECT MIN(e) AS e FROM (${mins.join(" UNION ALL ")})`).get(n) as Row;
    return r.e === null ? undefined : (r.e as bigint);
  }

  /** Sizes of the database file and its WAL on disk (0 for a file that does not exist). */
  fileBytes(): StoreFileBytes {
    const size = (p: string) => {
      try {
        return statSync(p).size;
      } catch (err) {
        // No WAL between a truncating checkpoint and the next write.
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
        throw err;
      }
    };
    return { main: size(this.path), wal: size(`${this.path}-wal`) };
  }

  private isPruned(networkId: bigint, epoch: bigint): boolean {
    const h = this.horizon(networkId);
    return h !== undefined && epoch < h.prunedBefore;
  }

  private refusePruned(networkId: bigint, epoch: bigint, what: string): void {
    if (this.isPruned(networkId, epoch))
      throw new StoreError(
        "STORE_PRUNED",
        `refusing to write a ${what} for epoch ${epoch} of network ${networkId}: the store pruned it`,
        { networkId, epoch, prunedBefore: this.horizon(networkId)?.prunedBefore },
      );
  }

  private pragma(name: "freelist_count" | "page_size" | "page_count"): number {
    return Number((this.db.prepare(`PRAGMA ${name}`).get() as Record<string, number | bigint>)[name]);
  }

  // --- read API (feed, HTTP API) -------------------------------------------------------------------

  /** A fraud evidence bundle by its keccak256, or undefined if this node does not hold it. */
  getFraudEvidence(networkId: bigint, epoch: bigint, evidenceHash: Hex): StoredFraudEvidence | undefined {
    const r = this.stmt(
      "SELECT * FROM fraud_evidence WHERE network_id = ? AND epoch = ? AND evidence_hash = ?",
    ).get(int(networkId, "networkId"), int(epoch, "epoch"), evidenceHash.toLowerCase()) as Row | undefined;
    if (!r) return undefined;
    return {
      networkId,
      epoch,
      deviceId: r.device_id as Hex,
      evidenceHash: r.evidence_hash as Hex,
      bytes: new Uint8Array(r.bytes as Uint8Array),
    };
  }

  getEquivocations(filter: { networkId?: bigint; epoch?: bigint } = {}): EquivocationEvidence[] {
    const rows = this.stmt(
      `SELECT * FROM equivocations WHERE (?1 IS NULL OR network_id = ?1) AND (?2 IS NULL OR epoch = ?2) ORDER BY id`,
    ).all(filter.networkId ?? null, filter.epoch ?? null) as Row[];
    return rows.map((r) => ({
      networkId: r.network_id as bigint,
      epoch: r.epoch as bigint,
      signer: r.signer as Address,
      kind: r.kind as EquivocationEvidence["kind"],
      first: new Uint8Array(r.first as Uint8Array),
      second: new Uint8Array(r.second as Uint8Array),
    }));
  }

  /** Epochs of a network with a computed result, newest first. */
  listEpochs(networkId: bigint, opts: { limit?: number; before?: bigint } = {}): EpochSummary[] {
    const rows = this.stmt(
      `SELECT network_id, epoch, result_root, observations_commitment, device_count, qualified_count, total_reward, total_slash, certified
       FROM results WHERE network_id = ? AND (? IS NULL OR epoch < ?) ORDER BY epoch DESC LIMIT ?`,
    ).all(int(networkId, "networkId"), opts.before ?? null, opts.before ?? null, opts.limit ?? 100) as Row[];
    return rows.map(summary);
  }

  /** The result of an epoch with every stored vote for it (votes for other results are not included). */
  getEpochResult(networkId: bigint, epoch: bigint): StoredResult | undefined {
    const r = this.stmt(
      `SELECT network_id, epoch, result_root, observations_commitment, device_count, qualified_count, total_reward, total_slash,
         certified, slashes, observations FROM results WHERE network_id = ? AND epoch = ?`,
    ).get(int(networkId, "networkId"), int(epoch, "epoch")) as Row | undefined;
    if (!r) return undefined;
    const s = summary(r);
    const slashes = (
      JSON.parse(r.slashes as string) as (Omit<DeviceSlash, "amount"> & { amount: string })[]
    ).map((x) => ({ ...x, amount: BigInt(x.amount) }));
    const votes = this.getVotes(networkId, epoch).filter(
      (v) => v.resultRoot === s.resultRoot && v.observationsCommitment === s.observationsCommitment,
    );
    return { ...s, slashes, observations: JSON.parse(r.observations as string), votes };
  }

  /** A device's line in an epoch with its Merkle proof against the epoch's root. */
  getDeviceLine(networkId: bigint, epoch: bigint, deviceId: Hex): LineWithProof | undefined {
    const n = int(networkId, "networkId");
    const e = int(epoch, "epoch");
    const l = this.stmt("SELECT * FROM lines WHERE network_id = ? AND epoch = ? AND device_id = ?").get(
      n,
      e,
      deviceId.toLowerCase(),
    ) as Row | undefined;
    if (!l) return undefined;
    const r = this.stmt("SELECT result_root, tree FROM results WHERE network_id = ? AND epoch = ?").get(
      n,
      e,
    ) as Row;
    const tree = r.tree as Uint8Array;
    const node = (i: number) => hexOf(tree.subarray(i * 32, i * 32 + 32));
    // @openzeppelin/merkle-tree's array layout: children of i are 2i+1 and 2i+2.
    const proof: Hex[] = [];
    for (let i = Number(l.tree_index); i > 0; i = Math.floor((i - 1) / 2))
      proof.push(node(i % 2 === 1 ? i + 1 : i - 1));
    return { line: line(l), proof, resultRoot: r.result_root as Hex };
  }

  /** All lines of an epoch, sorted by deviceId. */
  getLines(networkId: bigint, epoch: bigint): DeviceLine[] {
    const rows = this.stmt("SELECT * FROM lines WHERE network_id = ? AND epoch = ? ORDER BY device_id").all(
      int(networkId, "networkId"),
      int(epoch, "epoch"),
    ) as Row[];
    return rows.map(line);
  }

  /**
   * One page of an epoch's lines by device id (ascending, `after` exclusive) with each line's leaf
   * position in the tree: the primary key serves it, so paging through 100k lines stays linear.
   */
  getLinesPage(
    networkId: bigint,
    epoch: bigint,
    opts: { after?: Hex; limit: number },
  ): { line: DeviceLine; treeIndex: number }[] {
    const rows = this.stmt(
      `SELECT * FROM lines WHERE network_id = ? AND epoch = ? AND (?3 IS NULL OR device_id > ?3)
       ORDER BY device_id LIMIT ?`,
    ).all(
      int(networkId, "networkId"),
      int(epoch, "epoch"),
      opts.after?.toLowerCase() ?? null,
      opts.limit,
    ) as Row[];
    return rows.map((r) => ({ line: line(r), treeIndex: Number(r.tree_index) }));
  }

  /**
   * Per device, the sum of its uptimeBps and its number of lines over `epochs` of a network (the uptime
   * SLA's history, docs/interfaces.md): one indexed aggregate, not every line in memory.
   */
  uptimeSums(networkId: bigint, epochs: readonly bigint[]): Map<string, { sumBps: number; lines: number }> {
    const out = new Map<string, { sumBps: number; lines: number }>();
    if (epochs.length === 0) return out;
    const rows = this.stmt(
      `SELECT device_id, SUM(uptime_bps) AS sum_bps, COUNT(*) AS n FROM lines
       WHERE network_id = ? AND epoch IN (SELECT value FROM json_each(?)) GROUP BY device_id`,
    ).all(int(networkId, "networkId"), JSON.stringify(epochs.map((e) => Number(int(e, "epoch"))))) as Row[];
    for (const r of rows) out.set(r.device_id as string, { sumBps: Number(r.sum_bps), lines: Number(r.n) });
    return out;
  }

  /** A device's lines across epochs of a network, newest first. */
  getDeviceHistory(networkId: bigint, deviceId: Hex, opts: { limit?: number } = {}): DeviceLine[] {
    const rows = this.stmt(
      "SELECT * FROM lines WHERE device_id = ? AND network_id = ? ORDER BY epoch DESC LIMIT ?",
    ).all(deviceId.toLowerCase(), int(networkId, "networkId"), opts.limit ?? 100) as Row[];
    return rows.map(line);
  }
}

function summary(r: Row): EpochSummary {
  return {
    networkId: r.network_id as bigint,
    epoch: r.epoch as bigint,
    resultRoot: r.result_root as Hex,
    observationsCommitment: r.observations_commitment as Hex,
    deviceCount: Number(r.device_count),
    qualifiedCount: Number(r.qualified_count),
    totalReward: BigInt(r.total_reward as string),
    totalSlash: BigInt(r.total_slash as string),
    certified: Number(r.certified) === 1,
  };
}

function line(r: Row): DeviceLine {
  return {
    networkId: r.network_id as bigint,
    epoch: r.epoch as bigint,
    deviceId: r.device_id as Hex,
    owner: r.owner as Address,
    uptimeBps: Number(r.uptime_bps),
    work: BigInt(r.work as string),
    reward: BigInt(r.reward as string),
    slash: BigInt(r.slash as string),
  };
}

function migrate(db: DatabaseSync): void {
  const { user_version: current } = db.prepare("PRAGMA user_version").get() as { user_version: number };
  if (current > MIGRATIONS.length)
    throw new StoreError(
      "STORE_NEWER_SCHEMA",
      `database schema ${current} is newer than this node (${MIGRATIONS.length})`,
    );
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec("COMMIT");
    } catch (cause) {
      db.exec("ROLLBACK");
      throw new StoreError(
        "STORE_MIGRATION_FAILED",
        `migration ${v + 1} failed`,
        { version: v + 1 },
        { cause },
      );
    }
  }
}
