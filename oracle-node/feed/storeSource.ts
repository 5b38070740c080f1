import type { Hex } from "viem";
import { lineLeaf } from "../../contracts/lines";
import type { Store } from "../store/index";
import type { DeviceHistoryItem, EpochResult, FeedSource } from "./source";
import type { VerdictHub } from "./verdictHub";

export interface StoreFeedSourceOptions {
  /**
   * Whether the settlement contract stored the epoch's root (the node's settlement watcher knows).
   * Without it every epoch is reported unsettled: the store only knows whether votes certified it.
   */
  isSettled?: (networkId: bigint, epoch: bigint) => boolean;
  /** Where the node publishes verdicts and settlements; without it the stream stays silent. */
  verdicts?: VerdictHub;
  /**
   * Rows read at most to page a device's history (the store has no `before` for history yet), so a
   * history page costs bounded work whatever the cursor.
   */
  maxHistoryScan?: number;
}

/** The feed's view of the node's SQLite store. */
export function createStoreFeedSource(store: Store, options: StoreFeedSourceOptions = {}): FeedSource {
  const settled = options.isSettled ?? (() => false);
  const maxHistoryScan = options.maxHistoryScan ?? 1000;

  const resultOf = (networkId: bigint, epoch: bigint): EpochResult | undefined => {
    const r = store.getEpochResult(networkId, epoch);
    if (!r) return undefined;
    return {
      networkId: r.networkId,
      epoch: r.epoch,
      resultRoot: r.resultRoot,
      observationsCommitment: r.observationsCommitment,
      deviceCount: r.deviceCount,
      totalReward: r.totalReward,
      totalSlash: r.totalSlash,
      slashes: r.slashes,
      votes: r.votes.map((v) => ({ signer: v.signer, signature: v.signature })),
      settled: settled(networkId, epoch),
    };
  };

  return {
    async listEpochs(networkId, { before, limit }) {
      // One row more than asked tells whether another page follows.
      const rows = store.listEpochs(networkId, {
        limit: limit + 1,
        ...(before === undefined ? {} : { before }),
      });
      return {
        items: rows.slice(0, limit).map((r) => ({
          networkId: r.networkId,
          epoch: r.epoch,
          resultRoot: r.resultRoot,
          deviceCount: r.deviceCount,
          totalReward: r.totalReward,
          totalSlash: r.totalSlash,
          settled: settled(networkId, r.epoch),
        })),
        next: rows.length > limit ? rows[limit - 1]!.epoch : null,
      };
    },
    async getEpochResult(networkId, epoch) {
      return resultOf(networkId, epoch);
    },
    async getDeviceLine(networkId, epoch, deviceId) {
      const found = store.getDeviceLine(networkId, epoch, deviceId);
      const result = found && resultOf(networkId, epoch);
      if (!found || !result) return undefined;
      const { slashes: _, ...header } = result;
      return { line: found.line, leaf: lineLeaf(found.line), proof: found.proof, result: header };
    },
    async getDeviceHistory(networkId, deviceId, { before, limit }) {
      const rows = store
        .getDeviceHistory(networkId, deviceId, { limit: maxHistoryScan })
        .filter((l) => before === undefined || l.epoch < before);
      const items = rows.slice(0, limit).map((line): DeviceHistoryItem => {
        const root = store.listEpochs(networkId, { before: line.epoch + 1n, limit: 1 })[0];
        return {
          line,
          resultRoot: (root?.epoch === line.epoch ? root.resultRoot : `0x${"00".repeat(32)}`) as Hex,
          settled: settled(networkId, line.epoch),
        };
      });
      return { items, next: rows.length > limit ? rows[limit - 1]!.epoch : null };
    },
    subscribeVerdicts(networkId, listener) {
      return options.verdicts?.subscribe(networkId, listener) ?? (() => {});
    },
  };
}
