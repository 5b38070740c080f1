export interface StoreOptions {
  /** The node's data directory; the database is `<dataDir>/vigil.sqlite`. */
  dataDir: string;
  /** File name inside dataDir. */
  fileName: string;
  /**
   * SQLite `synchronous`: FULL fsyncs every commit, which is what makes a recorded signing decision
   * survive kill -9 and power loss before the signature leaves the process.
   */
  synchronous: "FULL" | "NORMAL";
}

export const defaultStoreOptions: Omit<StoreOptions, "dataDir"> = {
  fileName: "vigil.sqlite",
  synchronous: "FULL",
};
