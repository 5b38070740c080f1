import type { Hex } from "viem";
import { FeedApiError, FeedErrorCode } from "./errors";
import {
  computeReliability,
  type Reliability,
  type ReliabilityEpoch,
  reliabilityWindow,
} from "./reliability";
import type { FeedSource } from "./source";

// Epochs read per listEpochs call: the source's page, not the API's (the route's limit is for callers).
const EPOCH_PAGE = 100;
// Epochs above the newest settled one hold results that are agreed but not on chain yet: one or two
// in a healthy network. Looking further than the longest window means something else is wrong.
const MAX_UNSETTLED_SCAN = 720;

/**
 * The device's reliability over the network's last `window` settled epochs, from what the source
 * holds: the newest epoch the node saw settle ends the window; an epoch of the window with a result
 * counts as settled (epochs settle in order), one without as a timeout; the device's lines come from
 * its history. Throws `FeedApiError`: `EPOCH_NOT_FOUND` when no epoch settled yet, `EPOCH_PRUNED`
 * when the window reaches below the node's retention.
 */
export async function readDeviceReliability(
  source: FeedSource,
  networkId: bigint,
  deviceId: Hex,
  window: number,
): Promise<Reliability> {
  let toEpoch: bigint | undefined;
  let before: bigint | undefined;
  for (let scanned = 0; toEpoch === undefined && scanned < MAX_UNSETTLED_SCAN; scanned += EPOCH_PAGE) {
    const page = await source.listEpochs(networkId, {
      limit: EPOCH_PAGE,
      ...(before === undefined ? {} : { before }),
    });
    toEpoch = page.items.find((e) => e.settled)?.epoch;
    if (page.next === null) break;
    before = page.next;
  }
  if (toEpoch === undefined)
    throw new FeedApiError(
      FeedErrorCode.EpochNotFound,
      `network ${networkId} has no settled epoch this node holds: no reliability to compute yet`,
    );
  const { fromEpoch } = reliabilityWindow(toEpoch, window);
  const retention = await source.retention?.(networkId);
  if (retention && fromEpoch < retention.prunedBefore)
    throw new FeedApiError(
      FeedErrorCode.EpochPruned,
      `the window ${fromEpoch}..${toEpoch} reaches below this node's store retention (it may serve epochs from ${retention.prunedBefore}); ask for a smaller window or another node`,
      { prunedBefore: retention.prunedBefore.toString(), retentionEpochs: retention.retentionEpochs },
    );

  const withResult = new Set<bigint>();
  for (let cursor: bigint | null = toEpoch + 1n; cursor !== null && cursor > fromEpoch; ) {
    const page = await source.listEpochs(networkId, { limit: EPOCH_PAGE, before: cursor });
    for (const e of page.items) if (e.epoch >= fromEpoch) withResult.add(e.epoch);
    cursor = page.items.length === 0 ? null : page.next;
  }
  const lines = new Map<bigint, ReliabilityEpoch>();
  for (let cursor: bigint | null = toEpoch + 1n; cursor !== null && cursor > fromEpoch; ) {
    const page = await source.getDeviceHistory(networkId, deviceId, { limit: EPOCH_PAGE, before: cursor });
    for (const { line } of page.items)
      if (line.epoch >= fromEpoch && line.epoch <= toEpoch)
        lines.set(line.epoch, {
          epoch: line.epoch,
          status: "line",
          uptimeBps: line.uptimeBps,
          slash: line.slash,
        });
    cursor = page.items.length === 0 ? null : page.next;
  }
  const history: ReliabilityEpoch[] = [];
  for (let epoch = toEpoch; epoch >= fromEpoch; epoch--)
    history.push(lines.get(epoch) ?? { epoch, status: withResult.has(epoch) ? "absent" : "timeout" });
  return computeReliability(toEpoch, window, history);
}
