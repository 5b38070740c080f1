import type { Hex } from "viem";
import { lineLeaf } from "../../contracts/lines";
import type { Store } from "../store/index";
import { proofOf } from "./memorySource";
import {
  type DeviceHistoryItem,
  type DeviceLine,
  type EpochResult,
  ExportSourceChangedError,
  type FeedSource,
} from "./source";
import type { VerdictStream } from "./verdictJournal";

export interface StoreFeedSourceOptions {
  /**
   * Whether the settlement contract stored the epoch's root (the node's settlement watcher knows).
   * Without it every epoch is reported unsettled: the store only knows whether votes certified it.
   */
  isSettled?: (networkId: bigint, epoch: bigint) => boolean;
  /** The node's signed verdict stream (its journal); without it the stream stays silent. */
  verdicts?: VerdictStream;
  /**
   * Rows read at most to page a device's history (the store has no `before` for history yet), so a
   * history page costs bounded work whatever the cursor.
   */
  maxHistoryScan?: number;
  /**
   * Lines an export reads from the store per query: each query is short (the writer is never held
   * up behind a reader) and the response stream pulls the next chunk only when the socket drained.
   */
  exportChunk?: number;
  /** Epoch trees `rememberTree` keeps in memory at most (about 50 MB each for 100k lines). */
  cachedTrees?: number;
  /**
   * The networks the node serves (its configured networks), for `GET /v1/networks` and 404s on
   * others. Without it the feed cannot tell an unknown network from one without results yet.
   */
  networks?: readonly bigint[];
}

/** The store adapter, plus a cache of recent epoch trees for fast proofs. */
export interface StoreFeedSource extends FeedSource {
  /**
   * Keeps an epoch's tree in memory (the agreement has it when it computes the result), so proofs
   * are read in O(log n) instead of through the store, which today reads the whole tree blob per
   * request (27 lines/s at 100k devices, see the feed bench). Used only while the store holds a
   * result with the same root; the least recently remembered epoch is dropped first.
   */
  rememberTree(
    result: { networkId: bigint; epoch: bigint; resultRoot: Hex; lines: readonly DeviceLine[] },
    tree: { nodes: readonly Hex[]; treeIndex: readonly number[] },
  ): void;
}

interface CachedTree {
  root: Hex;
  nodes: readonly Hex[];
  lines: readonly DeviceLine[];
  /** Lower-case device id to line index and leaf index. */
  index: Map<string, { line: number; node: number }>;
}

/** The feed's view of the node's SQLite store. */
export function createStoreFeedSource(store: Store, options: StoreFeedSourceOptions = {}): StoreFeedSource {
  const settled = options.isSettled ?? (() => false);
  const maxHistoryScan = options.maxHistoryScan ?? 1000;
  const cachedTrees = options.cachedTrees ?? 2;
  // 1000 rows ≈ 270 kB of NDJSON: big enough that per-query overhead vanishes, small enough to stay
  // well under the socket's buffer and the event loop's patience (a few ms per query).
  const exportChunk = options.exportChunk ?? 1000;
  const trees = new Map<string, CachedTree>();

  const resultOf = (networkId: bigint, epoch: bigint): EpochResult | undefined => {
    const r = store.getEpochResult(networkId, epoch);
    if (!r) return undefined;
    return {
      networkId: r.networkId,
      epoch: r.epoch,
      resultRoot: r.resultRoot,
      observationsCommitment: r.observationsCommitment,
      deviceCount: r.deviceCount,
      qualifiedCount: r.qualifiedCount,
      totalReward: r.totalReward,
      totalSlash: r.totalSlash,
      slashes: r.slashes,
      observations: r.observations,
      votes: r.votes.map((v) => ({ signer: v.signer, signature: v.signature })),
      settled: settled(networkId, epoch),
    };
  };

  const source: StoreFeedSource = {
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
          qualifiedCount: r.qualifiedCount,
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
    rememberTree(result, tree) {
      if (cachedTrees <= 0) return;
      if (
        tree.nodes[0]?.toLowerCase() !== result.resultRoot.toLowerCase() ||
        tree.treeIndex.length !== result.lines.length
      )
        throw new TypeError(`rememberTree: tree of epoch ${result.epoch} does not match its result`);
      const index = new Map<string, { line: number; node: number }>();
      for (const [i, line] of result.lines.entries())
        index.set(line.deviceId.toLowerCase(), { line: i, node: tree.treeIndex[i]! });
      const key = `${result.networkId}:${result.epoch}`;
      trees.delete(key);
      trees.set(key, {
        root: result.resultRoot.toLowerCase() as Hex,
        nodes: tree.nodes,
        lines: result.lines,
        index,
      });
      while (trees.size > cachedTrees) trees.delete(trees.keys().next().value!);
    },
    async getDeviceLine(networkId, epoch, deviceId) {
      const cached = trees.get(`${networkId}:${epoch}`);
      if (cached) {
        const result = resultOf(networkId, epoch);
        // A cached tree serves only the result the store holds now (a recomputed epoch replaces it).
        if (result && result.resultRoot.toLowerCase() === cached.root) {
          const at = cached.index.get(deviceId.toLowerCase());
          if (!at) return undefined;
          const { slashes: _, ...header } = result;
          return {
            line: cached.lines[at.line]!,
            leaf: cached.nodes[at.node]!,
            proof: proofOf(cached.nodes, at.node),
            result: header,
          };
        }
      }
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
      const items: DeviceHistoryItem[] = [];
      for (const line of rows.slice(0, limit)) {
        // The line with its proof, so a client can check it against the epoch's root.
        const proven = await source.getDeviceLine(networkId, line.epoch, deviceId);
        if (!proven) continue;
        items.push({
          line: proven.line,
          leaf: proven.leaf,
          proof: proven.proof,
          resultRoot: proven.result.resultRoot,
          settled: proven.result.settled,
        });
      }
      return { items, next: rows.length > limit ? rows[limit - 1]!.epoch : null };
    },
    async *exportLines(networkId, epoch, resultRoot) {
      let after: Hex | undefined;
      for (;;) {
        // Each chunk is its own query: re-check that the stored result is still this one.
        if (store.getEpochResult(networkId, epoch)?.resultRoot.toLowerCase() !== resultRoot.toLowerCase())
          throw new ExportSourceChangedError(networkId, epoch, resultRoot);
        const rows = store.getLinesPage(networkId, epoch, {
          limit: exportChunk,
          ...(after === undefined ? {} : { after }),
        });
        if (rows.length > 0) yield rows;
        if (rows.length < exportChunk) return;
        after = rows.at(-1)!.line.deviceId;
      }
    },
    async listDevices(networkId, epoch, { after, limit }) {
      const rows = store.getLinesPage(networkId, epoch, { limit: limit + 1, ...(after ? { after } : {}) });
      return {
        items: rows.slice(0, limit).map((r) => ({ deviceId: r.line.deviceId, owner: r.line.owner })),
        next: rows.length > limit ? rows[limit - 1]!.line.deviceId : null,
      };
    },
    ...(options.verdicts ? { verdicts: options.verdicts } : {}),
    async retention(networkId) {
      const h = store.horizon(networkId);
      return h && { prunedBefore: h.prunedBefore, retentionEpochs: h.retentionEpochs };
    },
    async getEvidence(networkId, epoch, evidenceHash) {
      return store.getFraudEvidence(networkId, epoch, evidenceHash);
    },
  };
  const networks = options.networks;
  if (networks) source.listNetworks = async () => [...networks].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return source;
}
