// `npm run bench -- store-retention [--devices D] [--epochs K] [--retention N]`: the node's SQLite
// store after K epochs of realistic rows (`fixture.ts`: 4 oracles, k = 2, D devices) written as the
// agreement writes them, once without retention and once pruning to the last N settled epochs at
// each settlement (settlement one epoch behind the writes). Figures are bytes on disk after a
// truncating checkpoint (the WAL's size before it is reported too) and prune times.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { BenchScenario } from "../../scripts/bench/scenario";
import { createEpochWriter, type EpochWriter } from "./fixture";
import { createRetention } from "./retention";
import { Store } from "./store";

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const round = (x: number) => Number(x.toFixed(2));

function run(writer: EpochWriter, epochs: number, retentionEpochs: number | undefined) {
  const dir = mkdtempSync(join(tmpdir(), "vigil-store-bench-"));
  const store = Store.open({ dataDir: dir });
  try {
    const retention =
      retentionEpochs === undefined
        ? undefined
        : createRetention(store, { retentionEpochs }, { logger: pino({ level: "silent" }) });
    const pruneMs: number[] = [];
    let writeMs = 0;
    let maxWal = 0;
    for (let e = 0n; e < BigInt(epochs); e++) {
      const t = performance.now();
      writer.writeEpoch(store, 1n, e);
      writeMs += performance.now() - t;
      if (retention && e > 0n) {
        const p = performance.now();
        retention.settled(1n, e - 1n);
        pruneMs.push(performance.now() - p);
      }
      maxWal = Math.max(maxWal, store.fileBytes().wal);
    }
    store.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const sorted = pruneMs.sort((a, b) => a - b);
    return {
      mainBytes: store.fileBytes().main,
      maxWalBytes: maxWal,
      writeMsPerEpoch: round(writeMs / epochs),
      ...(retention && {
        pruneP50Ms: round(sorted[Math.floor(sorted.length / 2)] ?? 0),
        pruneMaxMs: round(sorted.at(-1) ?? 0),
      }),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const scenario: BenchScenario = {
  name: "store-retention",
  description: "SQLite store size after K epochs of D devices, without retention and with N epochs kept",
  async run(args) {
    const devices = flag(args, "devices", 1000);
    const epochs = flag(args, "epochs", 200);
    const retentionEpochs = flag(args, "retention", 10);
    const writer = await createEpochWriter({ devices });
    const without = run(writer, epochs, undefined);
    const withRetention = run(writer, epochs, retentionEpochs);
    return {
      devices,
      epochs,
      retentionEpochs,
      bytesPerEpoch: Math.round(without.mainBytes / epochs),
      bytesPerDeviceEpoch: Math.round(without.mainBytes / epochs / devices),
      without,
      withRetention,
    };
  },
};
