import { DatabaseSync } from "node:sqlite";
import type { Address, Hex } from "viem";

/** A lane message as the relayer keeps it (the on-ramp's `Message` struct). */
export interface LaneMessage {
  sourceChainSelector: bigint;
  destChainSelector: bigint;
  sequenceNumber: bigint;
  sender: Address;
  receiver: Address;
  sourceToken: Address;
  sourcePool: Address;
  destToken: Address;
  amount: bigint;
  sourcePoolData: Hex;
}

export interface StoredMessage {
  messageId: Hex;
  message: LaneMessage;
  /** Unix ms when the relayer first saw it on the source chain. */
  seenAt: number;
}

/**
 * The relayer's progress in one SQLite file: per direction, the next source block to scan, and each
 * message seen with its state. A scan's messages and its cursor move in one transaction, so a crash
 * never skips a message; a delivery is recorded after it is mined, and a crash in between is caught by
 * asking the off-ramp (which refuses duplicates anyway) before delivering again.
 */
export class RelayerStore {
  readonly #db: DatabaseSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      CREATE TABLE IF NOT EXISTS cursors (
        lane TEXT PRIMARY KEY,
        next_block TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS messages (
        lane TEXT NOT NULL,
        seq TEXT NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered')),
        seen_at INTEGER NOT NULL,
        delivered_tx TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        PRIMARY KEY (lane, seq)
      );
      CREATE INDEX IF NOT EXISTS messages_pending ON messages (lane, status, seq);
    `);
  }

  nextBlock(lane: string, fallback: bigint): bigint {
    const row = this.#db.prepare("SELECT next_block FROM cursors WHERE lane = ?").get(lane) as
      | { next_block: string }
      | undefined;
    return row ? BigInt(row.next_block) : fallback;
  }

  /** Records a scanned block range: its messages (ignoring ones already known) and the new cursor. */
  recordScan(lane: string, messages: readonly StoredMessage[], nextBlock: bigint): void {
    const insert = this.#db.prepare(
      // Only a repeat of a known (lane, seq) is skipped; any other constraint failure aborts the scan.
      "INSERT INTO messages (lane, seq, message_id, body, status, seen_at) VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT (lane, seq) DO NOTHING",
    );
    const cursor = this.#db.prepare(
      "INSERT INTO cursors (lane, next_block) VALUES (?, ?) ON CONFLICT (lane) DO UPDATE SET next_block = excluded.next_block",
    );
    this.#transaction(() => {
      for (const m of messages) {
        insert.run(lane, pad(m.message.sequenceNumber), m.messageId, encodeMessage(m.message), m.seenAt);
      }
      cursor.run(lane, nextBlock.toString());
    });
  }

  pending(lane: string, limit: number): StoredMessage[] {
    const rows = this.#db
      // Messages that failed before go last, so one that keeps failing does not hold up the others.
      .prepare(
        "SELECT message_id, body, seen_at FROM messages WHERE lane = ? AND status = 'pending' ORDER BY attempts, seq LIMIT ?",
      )
      .all(lane, limit) as { message_id: string; body: string; seen_at: number }[];
    return rows.map((r) => ({
      messageId: r.message_id as Hex,
      message: decodeMessage(r.body),
      seenAt: r.seen_at,
    }));
  }

  markDelivered(lane: string, sequenceNumbers: readonly bigint[], tx: Hex | null): void {
    const update = this.#db.prepare(
      "UPDATE messages SET status = 'delivered', delivered_tx = ?, last_error = NULL WHERE lane = ? AND seq = ?",
    );
    this.#transaction(() => {
      for (const seq of sequenceNumbers) update.run(tx, lane, pad(seq));
    });
  }

  markFailed(lane: string, sequenceNumbers: readonly bigint[], error: string): void {
    const update = this.#db.prepare(
      "UPDATE messages SET attempts = attempts + 1, last_error = ? WHERE lane = ? AND seq = ?",
    );
    this.#transaction(() => {
      for (const seq of sequenceNumbers) update.run(error, lane, pad(seq));
    });
  }

  counts(lane: string): { pending: number; delivered: number } {
    const rows = this.#db
      .prepare("SELECT status, COUNT(*) AS n FROM messages WHERE lane = ? GROUP BY status")
      .all(lane) as {
      status: string;
      n: number;
    }[];
    return {
      pending: rows.find((r) => r.status === "pending")?.n ?? 0,
      delivered: rows.find((r) => r.status === "delivered")?.n ?? 0,
    };
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #transaction(fn: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

/** Zero-padded so that SQLite's text ordering is numeric ordering. */
function pad(seq: bigint): string {
  return seq.toString().padStart(20, "0");
}

function encodeMessage(m: LaneMessage): string {
  return JSON.stringify(m, (_, v) => (typeof v === "bigint" ? `${v}n` : v));
}

function decodeMessage(body: string): LaneMessage {
  return JSON.parse(body, (_, v) => (typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));
}
