export interface StoreOptions {
  /** The node's data directory; the database is `<dataDir>/vigil.sqlite`. */
  dataDir: string;
  /** File name inside dataDir. */
  fileName: string;
  /**
   * SQLite `synchronous` for signing decisions and consensus locks: FULL fsyncs those commits, so a
   * recorded decision survives power loss, not only kill -9, before the signature leaves the
   * process. Other writes always use NORMAL (WAL: they survive a process crash).
   */
  synchronous: "FULL" | "NORMAL";
  /**
   * The WAL file is truncated back to this size after a checkpoint. Without a limit it keeps the size
   * of the largest transaction it ever held (a catch-up prune and its vacuum: tens of MB).
   */
  journalSizeLimitBytes: number;
}

export const defaultStoreOptions: Omit<StoreOptions, "dataDir"> = {
  fileName: "vigil.sqlite",
  synchronous: "FULL",
  // 64 MiB: above the largest steady-state transaction (one 100k-device epoch's result: ~40 MB of
  // lines, their indexes and the tree at ~0.4 KB a device, `npm run bench -- store-retention`), so
  // the log is not truncated and regrown every epoch; what a one-off catch-up prune grew it to is
  // given back.
  journalSizeLimitBytes: 64 * 1024 * 1024,
};

/** Bounds of `store.retention_epochs` (config) and `RetentionOptions.retentionEpochs`. */
export const RETENTION_EPOCHS_MIN = 8;
export const RETENTION_EPOCHS_MAX = 1_000_000;

export interface RetentionOptions {
  /**
   * Settled epochs kept per network: after epoch `s` settles, epochs below `s - retentionEpochs + 1`
   * are deleted. Unsettled epochs are never deleted.
   */
  retentionEpochs: number;
  /**
   * Epochs one prune deletes at most. The steady state deletes one per settlement; a store that ran
   * without retention catches up this many at a time (net 15 epochs per settlement), so one prune
   * never blocks the event loop (node:sqlite is synchronous) for long: 16 epochs of a 1000-device
   * network took 0.4 s here, 64 took 0.84 s; the steady-state prune of one epoch takes ~5 ms.
   */
  maxEpochsPerPrune: number;
}

// 1000 epochs: what replay, fraud evidence and late claims need, many times over (docs/operator.md,
// "Store retention"): the contract only takes a kind-2 slash for the current or previous epoch, the
// agreement ignores gossip older than its 4-epoch window, unsettled epochs are never pruned, and
// claims (no deadline on chain) want proofs for weeks at hourly epochs (~42 days).
export const defaultRetentionOptions: RetentionOptions = {
  retentionEpochs: 1000,
  maxEpochsPerPrune: 16,
};
