import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createEpochWriter } from "./fixture";
import { createRetention } from "./retention";
import { Store } from "./store";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "vigil-retention-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const logger = pino({ level: "silent" });
const N = 1n;

/** Epochs of network N that still have a result, oldest first. */
const resultEpochs = (s: Store) =>
  s
    .listEpochs(N, { limit: 10_000 })
    .map((e) => e.epoch)
    .reverse();

describe("Store.prune", () => {
  it("deletes every row of the epochs below the horizon in one go, records it, and a second prune is a no-op", async () => {
    const w = await createEpochWriter({ devices: 20 });
    const s = Store.open({ dataDir: tmp() });
    for (let e = 0n; e < 6n; e++) w.writeEpoch(s, N, e);
    w.writeEpoch(s, 2n, 1n); // another network is untouched
    s.saveEquivocation({
      networkId: N,
      epoch: 1n,
      signer: "0x00000000000000000000000000000000000000aa",
      kind: "result-vote",
      first: new Uint8Array([1]),
      second: new Uint8Array([2]),
    });

    const pruned = s.prune(N, 3n, { retentionEpochs: 8 });
    expect(pruned.beforeEpoch).toBe(3n);
    // 3 epochs: 4 observations, 1 result, 20 lines, 4 votes, 4 signing decisions, 1 consensus state each.
    expect(pruned.rows).toEqual({
      observations: 12,
      results: 3,
      lines: 60,
      votes: 12,
      signing_decisions: 12,
      consensus_state: 3,
      fraud_evidence: 0,
    });
    expect(pruned.total).toBe(102);
    expect(resultEpochs(s)).toEqual([3n, 4n, 5n]);
    expect(s.getObservations(N, 2n)).toEqual([]);
    expect(s.getVotes(N, 2n)).toEqual([]);
    expect(s.getSigningDecision(N, 2n, "result-vote", -1)).toBeUndefined();
    expect(s.getConsensusState(N, 2n)).toBeUndefined();
    expect(s.getLines(N, 3n)).toHaveLength(20);
    expect(s.getEpochResult(2n, 1n)).toBeDefined();
    // Oracle-slashing evidence outlives the epoch: the contract takes it at any age.
    expect(s.getEquivocations({ networkId: N })).toHaveLength(1);
    expect(s.horizon(N)).toEqual({ networkId: N, prunedBefore: 3n, retentionEpochs: 8 });
    expect(s.horizon(2n)).toBeUndefined();

    const again = s.prune(N, 3n);
    expect(again.total).toBe(0);
    expect(s.prune(N, 1n).beforeEpoch).toBe(3n); // a lower horizon never moves it back
    s.close();

    // The horizon survives a restart.
    const reopened = Store.open({ dataDir: dirs[0]! });
    expect(reopened.horizon(N)?.prunedBefore).toBe(3n);
    reopened.close();
  });

  it("refuses writes below the horizon: late gossip is dropped, a signing decision throws", async () => {
    const w = await createEpochWriter({ devices: 4 });
    const s = Store.open({ dataDir: tmp() });
    for (let e = 0n; e < 4n; e++) w.writeEpoch(s, N, e);
    s.prune(N, 2n);
    const obs = { networkId: N, epoch: 1n, observer: "0x00000000000000000000000000000000000000bb" } as const;
    expect(
      s.saveObservation({
        ...obs,
        hash: `0x${"01".repeat(32)}`,
        peerId: "p",
        bytes: new Uint8Array([1]),
        envelope: new Uint8Array([1]),
      }),
    ).toBe(false);
    expect(s.getObservations(N, 1n)).toEqual([]);
    expect(() =>
      s.recordSigningDecision({ networkId: N, epoch: 1n, kind: "result-vote", view: -1, value: "0x02" }),
    ).toThrow(expect.objectContaining({ code: "STORE_PRUNED" }));
    expect(s.recordSigningDecision({ networkId: N, epoch: 2n, kind: "prevote", view: 1, value: "nil" })).toBe(
      "nil",
    );
    s.close();
  });

  it("counts pruned rows and reports the file sizes as metrics", async () => {
    const w = await createEpochWriter({ devices: 10 });
    const registry = new Registry();
    const s = Store.open({ dataDir: tmp() }, { metrics: registry });
    for (let e = 0n; e < 3n; e++) w.writeEpoch(s, N, e);
    s.prune(N, 2n);
    const text = await registry.metrics();
    expect(text).toContain('vigil_store_pruned_rows_total{network="1",table="lines"} 20');
    expect(text).toContain('vigil_store_pruned_rows_total{network="1",table="observations"} 8');
    const main = Number(/vigil_store_bytes\{file="main"\} (\d+)/.exec(text)?.[1]);
    expect(main).toBe(s.fileBytes().main);
    expect(main).toBeGreaterThan(0);
    s.close();
  });
});

describe("disk space", () => {
  it("hands free pages back to the file system one prune later on new databases", async () => {
    const w = await createEpochWriter({ devices: 100 });
    const s = Store.open({ dataDir: tmp() });
    expect((s.db.prepare("PRAGMA auto_vacuum").get() as { auto_vacuum: number }).auto_vacuum).toBe(2);
    for (let e = 0n; e < 40n; e++) w.writeEpoch(s, N, e);
    s.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const full = s.fileBytes().main;
    // Retention lowered: 30 epochs go at once. Their pages stay free for the next epochs' rows...
    expect(s.prune(N, 30n).releasedBytes).toBe(0);
    w.writeEpoch(s, N, 40n);
    // ... and what the next epoch did not reuse goes back to the file system at the next prune.
    const next = s.prune(N, 31n);
    expect(next.releasedBytes).toBeGreaterThan(full / 2);
    s.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    expect(s.fileBytes().main).toBeLessThan(full / 2);
    s.close();
  });

  it("prunes a database created before auto_vacuum by reusing its free pages", async () => {
    const dataDir = tmp();
    const raw = new DatabaseSync(join(dataDir, "vigil.sqlite"));
    raw.exec(
      "PRAGMA journal_mode = WAL; CREATE TABLE placeholder (x INTEGER) STRICT; DROP TABLE placeholder;",
    );
    raw.close();
    const w = await createEpochWriter({ devices: 100 });
    const s = Store.open({ dataDir });
    expect((s.db.prepare("PRAGMA auto_vacuum").get() as { auto_vacuum: number }).auto_vacuum).toBe(0);
    for (let e = 0n; e < 20n; e++) w.writeEpoch(s, N, e);
    expect(s.prune(N, 10n).releasedBytes).toBe(0);
    s.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const after = s.fileBytes().main;
    for (let e = 20n; e < 30n; e++) w.writeEpoch(s, N, e);
    s.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    // Ten new epochs fit in the pages ten pruned epochs freed.
    expect(s.fileBytes().main).toBeLessThanOrEqual(after * 1.05);
    s.close();
  });
});

describe("createRetention", () => {
  it("keeps the last N settled epochs and everything not settled yet", async () => {
    const w = await createEpochWriter({ devices: 8 });
    const s = Store.open({ dataDir: tmp() });
    for (let e = 0n; e < 30n; e++) w.writeEpoch(s, N, e);
    const retention = createRetention(s, { retentionEpochs: 10 }, { logger });
    // Epochs 0..20 settled; 21..29 certified (or still open) but not settled.
    expect(retention.settled(N, 20n)?.beforeEpoch).toBe(11n);
    expect(resultEpochs(s)).toEqual(Array.from({ length: 19 }, (_, i) => 11n + BigInt(i)));
    // Once per settled epoch: the same settlement seen again (watcher and registry refresh) does nothing.
    expect(retention.settled(N, 20n)).toBeUndefined();
    expect(retention.settled(N, 19n)).toBeUndefined();
    expect(retention.settled(N, 21n)?.rows.results).toBe(1);
    expect(resultEpochs(s)[0]).toBe(12n);
    s.close();
  });

  it("prunes nothing before N epochs settled, and catches up a large backlog a bounded slice at a time", async () => {
    const w = await createEpochWriter({ devices: 2 });
    const s = Store.open({ dataDir: tmp() });
    for (let e = 0n; e < 40n; e++) w.writeEpoch(s, N, e);
    const retention = createRetention(s, { retentionEpochs: 8, maxEpochsPerPrune: 10 }, { logger });
    expect(retention.settled(N, 6n)).toBeUndefined();
    expect(resultEpochs(s)[0]).toBe(0n);
    // Settled 39 wants epochs 32.. kept; a store that never pruned loses 10 epochs per settlement.
    expect(retention.settled(N, 39n)?.beforeEpoch).toBe(10n);
    expect(retention.settled(N, 40n)?.beforeEpoch).toBe(20n);
    expect(retention.settled(N, 41n)?.beforeEpoch).toBe(30n);
    expect(retention.settled(N, 42n)?.beforeEpoch).toBe(35n);
    expect(resultEpochs(s)[0]).toBe(35n);
    s.close();
  });

  it("logs a failed prune and tries again at the next settlement instead of throwing", async () => {
    const s = Store.open({ dataDir: tmp() });
    const retention = createRetention(s, { retentionEpochs: 8 }, { logger });
    s.close();
    expect(retention.settled(N, 20n)).toBeUndefined();
  });

  it("keeps the database file bounded over many epochs of writes", async () => {
    const devices = 100;
    const epochs = 200;
    const w = await createEpochWriter({ devices });
    const run = (retentionEpochs: number | undefined) => {
      const s = Store.open({ dataDir: tmp() });
      const retention = retentionEpochs && createRetention(s, { retentionEpochs }, { logger });
      const sizes: number[] = [];
      for (let e = 0n; e < BigInt(epochs); e++) {
        w.writeEpoch(s, N, e);
        // Settlement lags one epoch behind the writes, as on a live network.
        if (retention && e > 0n) retention.settled(N, e - 1n);
        if (e % 50n === 49n) {
          s.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
          sizes.push(s.fileBytes().main);
        }
      }
      const bytes = s.fileBytes();
      s.close();
      return { sizes, bytes };
    };
    const kept = run(10);
    const all = run(undefined);
    console.log(`store after ${epochs} epochs of ${devices} devices`, { kept, all });
    // Without retention the file grows with every epoch; with it, it stops after about N epochs.
    expect(all.sizes[3]! / all.sizes[0]!).toBeGreaterThan(3.5);
    const perEpoch = all.sizes[3]! / epochs;
    expect(kept.sizes[3]!).toBeLessThan(all.sizes[3]! / 8);
    expect(Math.abs(kept.sizes[3]! - kept.sizes[1]!)).toBeLessThan(2 * perEpoch);
    expect(kept.bytes.wal).toBeLessThanOrEqual(64 * 1024 * 1024);
  });
});
