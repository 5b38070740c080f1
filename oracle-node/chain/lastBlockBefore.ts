import type { PublicClient } from "viem";

/**
 * The last block whose timestamp is below `timestamp` (null when the chain has none). Called once
 * `timestamp` has passed, every node that asks the same chain gets the same block: a pinned point to
 * read state that does not depend on when each node happened to refresh. On a chain with reorgs,
 * ask once `timestamp` is final. `from`, a block known to be earlier, shortens the search.
 */
export async function lastBlockBefore(
  client: PublicClient,
  timestamp: bigint,
  from = 0n,
): Promise<bigint | null> {
  const timeOf = async (blockNumber: bigint) => (await client.getBlock({ blockNumber })).timestamp;
  // Not viem's cached head (up to a polling interval old): the search must see the newest block.
  let hi = await client.getBlockNumber({ cacheTime: 0 });
  if ((await timeOf(hi)) < timestamp) return hi;
  let lo = from < hi ? from : 0n;
  if ((await timeOf(lo)) >= timestamp) {
    // The hint was not earlier after all: search from genesis, unless genesis is already too late.
    if (lo === 0n || (await timeOf(0n)) >= timestamp) return null;
    lo = 0n;
  }
  // Invariant: time(lo) < timestamp <= time(hi).
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if ((await timeOf(mid)) < timestamp) lo = mid;
    else hi = mid;
  }
  return lo;
}
