import type { Address, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../../contracts/portable";
import type { CheckedEpochSummary, UnverifiedEpochSummary } from "./createFeedClient";
import { MalformedResponseError, MissingEpochsError, SettledMismatchError } from "./errors";
import { readNextEpoch, verifyRootOnChain } from "./onChain";

export interface VerifyEpochListOnChainParameters {
  networkId: bigint;
  /** The page as served, newest first. */
  items: readonly UnverifiedEpochSummary[];
  /** The cursor the page was asked with: only epochs below it. */
  before: bigint | undefined;
  /** The node said no page follows (`nextCursor: null`). */
  lastPage: boolean;
  /** The node's claim that it pruned epochs below this one. */
  prunedBefore: bigint | null;
  /** First block to search `EpochTimedOut` events from. */
  fromBlock?: bigint;
  node?: string;
}

/**
 * Checks a page of epochs against the settlement contract. Every epoch below its `nextEpoch` is
 * settled, so the page must list each of them in the span it covers (from the cursor, or the newest
 * settled epoch, down to its last item; on the last page down to the node's declared pruning point),
 * except epochs that settled as timeouts (`EpochTimedOut`, no result). Listed settled epochs must
 * carry the stored root and totals; an epoch the chain has not settled must not be called settled.
 * Returns the items with the chain's values for settled epochs and the node's word for the others.
 */
export async function verifyEpochListOnChain(
  client: PublicClient,
  settlement: Address,
  params: VerifyEpochListOnChainParameters,
): Promise<CheckedEpochSummary[]> {
  const { networkId, items, node } = params;
  const next = await readNextEpoch(client, settlement, networkId);

  let previous = params.before;
  for (const item of items) {
    if (previous !== undefined && item.epoch >= previous)
      throw new MalformedResponseError(node ?? "", `epochs not strictly descending at ${item.epoch}`);
    previous = item.epoch;
  }

  const checked = await Promise.all(
    items.map(async (item): Promise<CheckedEpochSummary> => {
      if (item.epoch >= next) {
        if (item.unverified.settled) throw new SettledMismatchError(node, networkId, item.epoch, true);
        return { ...item, settledOnChain: false };
      }
      const { resultRoot, deviceCount, totalReward, totalSlash } = item.unverified;
      const stored = await verifyRootOnChain(client, settlement, networkId, item.epoch, resultRoot, node, {
        deviceCount,
        totalReward,
        totalSlash,
      });
      return {
        epoch: item.epoch,
        settledOnChain: true,
        resultRoot: stored.resultRoot,
        deviceCount: stored.deviceCount,
        totalReward: stored.totalReward,
        totalSlash: stored.totalSlash,
      };
    }),
  );

  // The span of settled epochs this page answers for.
  const upper = params.before !== undefined && params.before < next ? params.before : next;
  const lowest = items.at(-1)?.epoch;
  const lower = params.lastPage ? (params.prunedBefore ?? 0n) : (lowest ?? upper);
  if (lower >= upper) return checked;
  const listed = new Set(items.filter((i) => i.epoch >= lower && i.epoch < upper).map((i) => i.epoch));
  if (BigInt(listed.size) === upper - lower) return checked;

  // Gaps: only epochs that timed out (settled empty, no result to list) may be absent.
  const timedOut = new Set(
    (
      await client.getContractEvents({
        address: settlement,
        abi: vigilSettlementAbi,
        eventName: "EpochTimedOut",
        args: { networkId },
        fromBlock: params.fromBlock ?? 0n,
        strict: true,
      })
    )
      .map((log) => log.args.epoch)
      .filter((e) => e >= lower && e < upper && !listed.has(e)),
  );
  const missingCount = upper - lower - BigInt(listed.size) - BigInt(timedOut.size);
  if (missingCount === 0n) return checked;
  // Name the newest few; the walk stops there, so a span of millions costs no more than a page.
  const missing: bigint[] = [];
  for (let e = upper - 1n; e >= lower && missing.length < 10; e--)
    if (!listed.has(e) && !timedOut.has(e)) missing.push(e);
  throw new MissingEpochsError(node, networkId, missing, missingCount, next);
}
