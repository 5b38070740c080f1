import { type Address, type Hex, keccak256 } from "viem";
import { buildLinesTreeNodes, treeNodeHex } from "../agreement/linesTree";
import type {
  DeviceHistoryItem,
  DeviceLine,
  DeviceLineProof,
  DeviceSlash,
  EpochPageQuery,
  EpochResult,
  FeedSource,
  FraudEvidence,
  ResultVoteSignature,
} from "./source";
import type { VerdictJournal } from "./verdictJournal";

export interface PublishedEpoch {
  networkId: bigint;
  epoch: bigint;
  observationsCommitment: Hex;
  lines: DeviceLine[];
  slashes?: DeviceSlash[];
  /** The observations behind `observationsCommitment`; none when absent. */
  observations?: { observer: Address; hash: Hex }[];
  /** Devices that qualified (weight > 0); when absent, the lines with a reward. */
  qualifiedCount?: number;
  votes?: ResultVoteSignature[];
  settled?: boolean;
  /**
   * The epoch's tree as the agreement computed it (`StandardMerkleTree.dump()` layout, `treeIndex[i]`
   * is line i's leaf), so a 100k-line tree is not built twice; built here when absent.
   */
  tree?: { nodes: Hex[]; treeIndex: number[] };
}

interface StoredEpoch {
  result: EpochResult;
  /** The tree's nodes as `StandardMerkleTree.dump()` lays them out: root first, leaves last. */
  nodes: Hex[];
  /** Lower-case device id to the line's index in `lines` and its leaf's index in `nodes`. */
  index: Map<string, { line: number; node: number }>;
  lines: DeviceLine[];
}

/** A feed source over epochs held in memory, with the same Merkle tree the node builds. */
export interface MemoryFeedSource extends FeedSource {
  /** Builds the epoch's tree and stores the result; returns it (root, totals). */
  publishEpoch(epoch: PublishedEpoch): EpochResult;
  addVotes(networkId: bigint, epoch: bigint, votes: ResultVoteSignature[]): void;
  /** Marks the epoch settled and tells stream subscribers. */
  markSettled(networkId: bigint, epoch: bigint): void;
  /** Holds a fraud evidence bundle, served by its keccak256 (the caller verified it). */
  addEvidence(evidence: Omit<FraudEvidence, "evidenceHash">): FraudEvidence;
}

/** Sibling hashes from a leaf up to the root in OpenZeppelin's array layout (children of i: 2i+1, 2i+2). */
export function proofOf(nodes: readonly Hex[], leafIndex: number): Hex[] {
  const proof: Hex[] = [];
  for (let i = leafIndex; i > 0; i = Math.floor((i - 1) / 2)) proof.push(nodes[i % 2 === 1 ? i + 1 : i - 1]!);
  return proof;
}

/** The epoch's tree in the layout `publishEpoch` takes, with hex nodes (`buildLinesTreeNodes`). */
export function buildTree(lines: readonly DeviceLine[]): { nodes: Hex[]; treeIndex: number[] } {
  const tree = buildLinesTreeNodes(lines);
  const nodes = Array.from({ length: tree.nodes.length / 32 }, (_, i) => treeNodeHex(tree.nodes, i));
  return { nodes, treeIndex: tree.treeIndex };
}

/** `verdicts`: the journal the stream serves (and `markSettled` publishes to); without it the stream is silent. */
export function createMemoryFeedSource(options: { verdicts?: VerdictJournal } = {}): MemoryFeedSource {
  const networks = new Map<bigint, Map<bigint, StoredEpoch>>();
  const evidence = new Map<string, FraudEvidence>();

  const epochsOf = (networkId: bigint) => networks.get(networkId) ?? new Map<bigint, StoredEpoch>();
  const sortedEpochs = (networkId: bigint, before?: bigint) =>
    [...epochsOf(networkId).keys()]
      .filter((e) => before === undefined || e < before)
      .sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  const page = <T>(keys: bigint[], limit: number, map: (k: bigint) => T) => ({
    items: keys.slice(0, limit).map(map),
    next: keys.length > limit ? keys[limit - 1]! : null,
  });

  return {
    publishEpoch(input) {
      // Proofs are read off the node array (O(log n) lookups), not with `getProof`, which re-hashes
      // the leaf on every call and would cost more than the whole rest of a request.
      const tree = input.tree ?? buildTree(input.lines);
      const index = new Map<string, { line: number; node: number }>();
      for (const [i, line] of input.lines.entries())
        index.set(line.deviceId.toLowerCase(), { line: i, node: tree.treeIndex[i]! });
      const result: EpochResult = {
        networkId: input.networkId,
        epoch: input.epoch,
        resultRoot: tree.nodes[0]!,
        observationsCommitment: input.observationsCommitment,
        deviceCount: input.lines.length,
        qualifiedCount: input.qualifiedCount ?? input.lines.filter((l) => l.reward > 0n).length,
        totalReward: input.lines.reduce((sum, l) => sum + l.reward, 0n),
        totalSlash: input.lines.reduce((sum, l) => sum + l.slash, 0n),
        slashes: input.slashes ?? [],
        observations: input.observations ?? [],
        votes: input.votes ?? [],
        settled: input.settled ?? false,
      };
      const epochs = networks.get(input.networkId) ?? new Map<bigint, StoredEpoch>();
      networks.set(input.networkId, epochs);
      epochs.set(input.epoch, { result, nodes: tree.nodes, index, lines: input.lines });
      return result;
    },
    addVotes(networkId, epoch, votes) {
      const stored = epochsOf(networkId).get(epoch);
      if (!stored) throw new Error(`no epoch ${epoch} of network ${networkId}`);
      stored.result.votes.push(...votes);
    },
    markSettled(networkId, epoch) {
      const stored = epochsOf(networkId).get(epoch);
      if (!stored) throw new Error(`no epoch ${epoch} of network ${networkId}`);
      stored.result.settled = true;
      options.verdicts?.settled(networkId, epoch, stored.result.resultRoot);
    },

    async listEpochs(networkId, { before, limit }: EpochPageQuery) {
      return page(sortedEpochs(networkId, before), limit, (e) => {
        const {
          slashes: _s,
          votes: _v,
          observationsCommitment: _o,
          observations: _obs,
          ...summary
        } = epochsOf(networkId).get(e)!.result;
        return summary;
      });
    },
    async getEpochResult(networkId, epoch) {
      return epochsOf(networkId).get(epoch)?.result;
    },
    async getDeviceLine(networkId, epoch, deviceId): Promise<DeviceLineProof | undefined> {
      const stored = epochsOf(networkId).get(epoch);
      const at = stored?.index.get(deviceId.toLowerCase());
      if (!stored || at === undefined) return undefined;
      const { slashes: _s, ...result } = stored.result;
      return {
        line: stored.lines[at.line]!,
        leaf: stored.nodes[at.node]!,
        proof: proofOf(stored.nodes, at.node),
        result,
      };
    },
    async getDeviceHistory(networkId, deviceId, { before, limit }) {
      const key = deviceId.toLowerCase();
      const keys = sortedEpochs(networkId, before).filter((e) => epochsOf(networkId).get(e)!.index.has(key));
      return page(keys, limit, (e): DeviceHistoryItem => {
        const stored = epochsOf(networkId).get(e)!;
        const at = stored.index.get(key)!;
        return {
          line: stored.lines[at.line]!,
          leaf: stored.nodes[at.node]!,
          proof: proofOf(stored.nodes, at.node),
          resultRoot: stored.result.resultRoot,
          settled: stored.result.settled,
        };
      });
    },
    async *exportLines(networkId, epoch) {
      const stored = epochsOf(networkId).get(epoch);
      if (!stored) return;
      const rows = stored.lines
        .map((line) => ({ line, treeIndex: stored.index.get(line.deviceId.toLowerCase())!.node }))
        .sort((a, b) => (a.line.deviceId.toLowerCase() < b.line.deviceId.toLowerCase() ? -1 : 1));
      for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000);
    },
    async listDevices(networkId, epoch, { after, limit }) {
      const stored = epochsOf(networkId).get(epoch);
      const ids = [...(stored?.index.keys() ?? [])]
        .filter((id) => after === undefined || id > after.toLowerCase())
        .sort();
      const items = ids.slice(0, limit).map((id) => ({
        deviceId: id as Hex,
        owner: stored!.lines[stored!.index.get(id)!.line]!.owner,
      }));
      return { items, next: ids.length > limit ? (ids[limit - 1] as Hex) : null };
    },
    ...(options.verdicts ? { verdicts: options.verdicts } : {}),
    addEvidence(e) {
      const held = { ...e, deviceId: e.deviceId.toLowerCase() as Hex, evidenceHash: keccak256(e.bytes) };
      evidence.set(`${e.networkId}:${e.epoch}:${held.evidenceHash}`, held);
      // A source holding a network's evidence serves that network, results or not yet.
      if (!networks.has(e.networkId)) networks.set(e.networkId, new Map());
      return held;
    },
    async getEvidence(networkId, epoch, evidenceHash) {
      return evidence.get(`${networkId}:${epoch}:${evidenceHash.toLowerCase()}`);
    },
    async listNetworks() {
      return [...networks.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },
  };
}
