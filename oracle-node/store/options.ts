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
}

export const defaultStoreOptions: Omit<StoreOptions, "dataDir"> = {
  fileName: "vigil.sqlite",
  synchronous: "FULL",
};
