import { Counter, Gauge, type Registry } from "prom-client";
import type { StoreFileBytes } from "./types";

export interface StoreMetrics {
  prunedRows: Counter<"network" | "table">;
  bytes: Gauge<"file">;
}

/** `fileBytes` is read when the registry is scraped (sizes are stat'ed, not book-kept). */
export function createStoreMetrics(registry: Registry, fileBytes: () => StoreFileBytes): StoreMetrics {
  return {
    prunedRows: new Counter({
      name: "vigil_store_pruned_rows_total",
      help: "Rows deleted by store retention, by network and table",
      labelNames: ["network", "table"],
      registers: [registry],
    }),
    bytes: new Gauge({
      name: "vigil_store_bytes",
      help: "Size on disk of the node's SQLite store: the database file (main) and its write-ahead log (wal)",
      labelNames: ["file"],
      registers: [registry],
      collect() {
        const b = fileBytes();
        this.set({ file: "main" }, b.main);
        this.set({ file: "wal" }, b.wal);
      },
    }),
  };
}
