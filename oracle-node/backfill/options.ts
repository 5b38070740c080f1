export interface BackfillOptions {
  /**
   * Largest answer accepted or served, bytes. 32 MiB: an epoch's answer is its used observations
   * (k·devices/n lines each, ~60 B a line: 100k devices, k = 3, n = 4 is ~4.5 MB per observer, 4
   * observers ~18 MB) plus 2f+1 votes; a peer that announces more is cut off before it is read.
   */
  maxResponseBytes: number;
  /** A peer that has not answered in this long is skipped for the next one. */
  requestTimeoutMs: number;
  /** Requests this node serves at once; more are refused (the stream is closed), never queued. */
  maxConcurrentServes: number;
  /** Peers tried per epoch before it is given up for now (the next settlement tries again). */
  maxPeersPerEpoch: number;
}

export const defaultBackfillOptions: BackfillOptions = {
  maxResponseBytes: 32 * 1024 * 1024,
  requestTimeoutMs: 15_000,
  maxConcurrentServes: 2,
  maxPeersPerEpoch: 4,
};
