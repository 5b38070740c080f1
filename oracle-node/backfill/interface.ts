import type { Hex } from "viem";

/** What the chain settled for an epoch: the backfilled result must recompute to exactly this. */
export interface SettledRoot {
  resultRoot: Hex;
  observationsCommitment: Hex;
}

export interface BackfillOutcome {
  networkId: bigint;
  epoch: bigint;
  /** The peer whose answer checked out. */
  peerId: string;
  observations: number;
  votes: number;
}

/**
 * Fills in epochs this node missed (it was down while the others certified and settled them) from
 * its peers, trusting none of them: the peer sends the signed observations the result used and the
 * result votes; this node checks every signature against the epoch's registered oracles, recomputes
 * the result with the result function, and keeps it only if it equals the root and observations
 * commitment the chain settled. It also answers its peers' requests from its own store.
 */
export interface Backfill {
  /**
   * Fetches, verifies and stores one settled epoch. Throws `BackfillError`: UNAVAILABLE when no
   * peer's answer checked out (each peer's failure is in `context.peers`), NOTHING_TO_FETCH for a
   * timed-out (zero-root) epoch.
   */
  fill(networkId: bigint, epoch: bigint, settled: SettledRoot): Promise<BackfillOutcome>;
  /** Stops serving (unregisters the protocol); a running `fill` finishes. */
  stop(): Promise<void>;
}
