import { type Address, type Hex, hexToBytes, type PublicClient } from "viem";
import type { z } from "zod";
import type { DeviceLine } from "../../../contracts/portable";
import {
  DeviceHistoryPageJson,
  DeviceLineProofJson,
  EpochPageJson,
  EpochResultJson,
  ExportHeaderJson,
  ExportRowJson,
  FraudEvidenceJson,
} from "../responseSchemas";
import type { DeviceSlash, EpochResult, ResultVoteSignature } from "../source";
import type { SignerRefreshOptions } from "./activeSigners";
import {
  AllNodesFailedError,
  EvidenceMismatchError,
  ExportMismatchError,
  FeedClientError,
  LineMismatchError,
  MalformedResponseError,
  NotSettledOnChainError,
  SettledMismatchError,
  WithheldLineError,
} from "./errors";
import { fetchFeed } from "./fetchFeed";
import { deviceLineFromJson, epochResultFromJson } from "./fromJson";
import {
  type DeviceReliabilityOptions,
  getDeviceReliability,
  type VerifiedDeviceReliability,
} from "./getDeviceReliability";
import { ndjsonLines } from "./ndjsonLines";
import {
  readEpochResult,
  readNextEpoch,
  readOracleSigners,
  verifyLineOnChain,
  verifyRootOnChain,
} from "./onChain";
import { openFeedStream } from "./openFeedStream";
import { readEvidenceJudges } from "./readEvidenceJudges";
import { readSlashOnChain } from "./readSlashOnChain";
import { LinesRootBuilder, TreeShapeError } from "./rebuildLinesRoot";
import { type StreamedVerdict, type StreamVerdictsOptions, streamVerdicts } from "./streamVerdicts";
import { verifyEpochListOnChain } from "./verifyEpochListOnChain";
import { verifyLineProof } from "./verifyLineProof";
import { checkResultVotes } from "./verifyResultVotes";
import { type VerifiedSlashEvidence, verifySlashEvidence } from "./verifySlashEvidence";
import { verifySlashesOnChain } from "./verifySlashesOnChain";

export interface FeedClientOptions {
  /** Base URLs of feed nodes, tried in order until one serves an answer that verifies. */
  nodes: readonly string[];
  /** Chain of the settlement contract (EIP-712 domain of the votes). */
  chainId: number;
  settlement: Address;
  /**
   * The registered oracle signers, or the registry to read them from (`getActiveSigners`, needs
   * `publicClient`). Never taken from a node.
   */
  signers: readonly Address[] | { registry: Address };
  /**
   * The registry, for reading who was assigned to a device (`getSlashEvidence`); default the one in
   * `signers`.
   */
  registry?: Address;
  /** Distinct registered signers required; default f + 1. */
  threshold?: number;
  /** Reject results carrying any vote by an unregistered signer (otherwise they are left out and listed). */
  strict?: boolean;
  /** For on-chain checks and for reading signers from the registry. */
  publicClient?: PublicClient;
  /**
   * First block to search the settlement contract's events from (its deployment block): used to find
   * an epoch's settlement transaction (slashes) and timed-out epochs (epoch lists). Default 0.
   */
  fromBlock?: bigint;
  /** Per HTTP attempt, in ms; default 10 000. */
  timeoutMs?: number;
  /**
   * Further attempts of a GET on the same node after a network error, a timeout, a 5xx or a 429
   * (after the node's `Retry-After`, up to 30 s), before moving on to the next node; default 2.
   * An answer that fails a check is never retried.
   */
  retries?: number;
  /** Delay before the first retry, in ms, doubling with each further one; default 250. */
  backoffMs?: number;
  /**
   * With `signers: { registry }`, how often a verdict stream may read the registry's list again
   * (default at most once per 30 s, and a list older than 5 min is read again; `now` for tests).
   */
  signerRefresh?: Pick<SignerRefreshOptions, "minIntervalMs" | "maxAgeMs" | "now">;
  fetch?: typeof fetch;
}

/** The fields of a result the oracle votes sign, checked offline against the registered signers. */
export interface SignedEpochResult {
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
  observationsCommitment: Hex;
  votes: ResultVoteSignature[];
  /** The node that served it. */
  node: string;
  /** Distinct registered signers whose votes verified (at least the threshold). */
  verifiedSigners: Address[];
  /** Signers with a valid vote whom the registry does not list: not counted (with `strict`, rejected). */
  foreignSigners: Address[];
}

/** What a node says about a result that its votes do not sign: unchecked unless read `onChain`. */
export interface UnverifiedResultFields {
  deviceCount: number;
  totalReward: bigint;
  totalSlash: bigint;
  slashes: DeviceSlash[];
  /** The node's claim that the settlement contract stored the root. */
  settled: boolean;
}

/** A result checked offline: the signed fields are verified, the rest is the node's word. */
export interface OfflineEpochResult extends SignedEpochResult {
  checkedOnChain: false;
  unverified: UnverifiedResultFields;
}

/**
 * A result checked against the settlement contract too: the root and totals match what it stored,
 * and `slashes` match the events of the transaction that settled the epoch.
 */
export interface OnChainEpochResult extends SignedEpochResult, Omit<UnverifiedResultFields, "settled"> {
  checkedOnChain: true;
  settled: true;
}

export type VerifiedEpochResult = OfflineEpochResult | OnChainEpochResult;

/** The result header served with a line (the line route carries no slashes). */
export type OfflineLineResult = SignedEpochResult & {
  checkedOnChain: false;
  unverified: Omit<UnverifiedResultFields, "slashes">;
};
export type OnChainLineResult = Omit<OnChainEpochResult, "slashes">;

export interface OfflineDeviceLine {
  /** Proven against a root that the threshold of registered signers signed. */
  line: DeviceLine;
  leaf: Hex;
  proof: Hex[];
  result: OfflineLineResult;
}
export interface OnChainDeviceLine {
  /** Proven against the root the settlement contract stored, and accepted by its `verifyLine`. */
  line: DeviceLine;
  leaf: Hex;
  proof: Hex[];
  result: OnChainLineResult;
}
export type VerifiedDeviceLine = OfflineDeviceLine | OnChainDeviceLine;

export interface VerifyOptions {
  /** Also check against the settlement contract (root, totals, slashes; for lines, `verifyLine`). */
  onChain?: boolean;
  signal?: AbortSignal;
}
type OnChain = { onChain: true };
type Offline = { onChain?: false };

export interface PageOptions {
  cursor?: string;
  limit?: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** An epoch summary as the node listed it: nothing in it is checked. */
export interface UnverifiedEpochSummary {
  epoch: bigint;
  unverified: {
    resultRoot: Hex;
    deviceCount: number;
    totalReward: bigint;
    totalSlash: bigint;
    settled: boolean;
  };
}

/** A listed epoch checked against the chain: settled ones carry the chain's values. */
export type CheckedEpochSummary =
  | {
      epoch: bigint;
      settledOnChain: true;
      resultRoot: Hex;
      deviceCount: number;
      totalReward: bigint;
      totalSlash: bigint;
    }
  | (UnverifiedEpochSummary & { settledOnChain: false });

export interface EpochListPage<T> extends Page<T> {
  /** The node's claim that it pruned epochs below this one (its store retention); null if none. */
  unverified: { prunedBefore: bigint | null };
}

/** A history item as the node served it: nothing in it is checked. */
export interface UnverifiedHistoryItem {
  epoch: bigint;
  unverified: { line: DeviceLine; resultRoot: Hex; settled: boolean };
}

/** A history item checked against the chain: settled ones are lines proven against the stored root. */
export type CheckedHistoryItem =
  | { epoch: bigint; settledOnChain: true; line: DeviceLine; leaf: Hex; proof: Hex[]; resultRoot: Hex }
  | (UnverifiedHistoryItem & { settledOnChain: false });

/** The epochs of a device's history to account for, both ends included, all settled on chain. */
export interface HistoryRangeOptions {
  fromEpoch: bigint;
  toEpoch: bigint;
  /**
   * For each epoch the node served no line for, export the epoch (`exportEpoch` with `onChain`,
   * which rebuilds the stored root from every row) and check that the device has no row in it:
   * absence proven, or `WithheldLineError`. One export per such epoch: nodes allow a burst of 2,
   * then one a minute per client.
   */
  proveAbsence?: boolean;
  signal?: AbortSignal;
}

/** One epoch of a device's history, accounted for against the chain. */
export type DeviceHistoryEntry =
  | {
      epoch: bigint;
      status: "line";
      /** Proven against the root the settlement contract stored. */
      line: DeviceLine;
      leaf: Hex;
      proof: Hex[];
      resultRoot: Hex;
    }
  | {
      epoch: bigint;
      /** The chain settled the epoch as a timeout (zero root): no device has a line in it. */
      status: "timeout";
    }
  | {
      epoch: bigint;
      /** The epoch's verified export holds no line of the device. */
      status: "absent";
      absenceProven: true;
    }
  | {
      epoch: bigint;
      /**
       * The node served no line for the epoch. It may have none (the device was not registered, or
       * watched by no one), or the node may have withheld it: a root proves what is in the tree, not
       * what is not. Ask with `proveAbsence`, or ask another node for that epoch's line.
       */
      status: "absent";
      absenceProven: false;
      unverified: { node: string };
    };

export interface DeviceHistoryRange {
  networkId: bigint;
  deviceId: Hex;
  /** The node whose history was accounted for. */
  node: string;
  /** One entry per epoch from `toEpoch` down to `fromEpoch`. */
  entries: DeviceHistoryEntry[];
}

/** Epochs one `getDeviceHistoryRange` call accounts for at most: each costs a chain read. */
export const MAX_HISTORY_RANGE = 1000n;

export interface ExportOptions extends VerifyOptions {
  /**
   * Receives each line as it is read, before the root can be checked: stage the lines and act on
   * them only once `exportEpoch` resolves (it rejects if the rows do not rebuild the verified root).
   * Once a line was delivered, a failure is thrown at once instead of trying the next node. Without
   * it the lines are collected and returned.
   */
  onLine?: (line: DeviceLine) => void | Promise<void>;
}

/** An epoch's whole lines file whose rows rebuilt the verified root (signed, and `onChain` the chain's). */
export interface EpochExport<R extends VerifiedEpochResult = VerifiedEpochResult> {
  result: R;
  /** Every line, by deviceId; undefined when they went to `onLine`. */
  lines: DeviceLine[] | undefined;
  leafCount: number;
}

export interface FeedClient {
  /**
   * An epoch's whole lines file in one streamed request (`GET .../export`): the result is checked
   * like `getEpochResult`, and the rows must rebuild its root (`ExportMismatchError` otherwise).
   */
  exportEpoch(
    networkId: bigint,
    epoch: bigint,
    options: ExportOptions & OnChain,
  ): Promise<EpochExport<OnChainEpochResult>>;
  exportEpoch(
    networkId: bigint,
    epoch: bigint,
    options?: ExportOptions & Offline,
  ): Promise<EpochExport<OfflineEpochResult>>;
  exportEpoch(networkId: bigint, epoch: bigint, options?: ExportOptions): Promise<EpochExport>;
  /** An epoch's result whose votes verified against the registered signers (and, `onChain`, the chain). */
  getEpochResult(
    networkId: bigint,
    epoch: bigint,
    options: VerifyOptions & OnChain,
  ): Promise<OnChainEpochResult>;
  getEpochResult(
    networkId: bigint,
    epoch: bigint,
    options?: VerifyOptions & Offline,
  ): Promise<OfflineEpochResult>;
  getEpochResult(networkId: bigint, epoch: bigint, options?: VerifyOptions): Promise<VerifiedEpochResult>;
  /** A device's line, proven against a result root that f + 1 registered oracles signed. */
  getDeviceLine(
    networkId: bigint,
    epoch: bigint,
    deviceId: Hex,
    options: VerifyOptions & OnChain,
  ): Promise<OnChainDeviceLine>;
  getDeviceLine(
    networkId: bigint,
    epoch: bigint,
    deviceId: Hex,
    options?: VerifyOptions & Offline,
  ): Promise<OfflineDeviceLine>;
  getDeviceLine(
    networkId: bigint,
    epoch: bigint,
    deviceId: Hex,
    options?: VerifyOptions,
  ): Promise<VerifiedDeviceLine>;
  /**
   * Epochs with a result, newest first. Offline, the node's word. `onChain`: settled epochs carry
   * the chain's root and totals, and a page that leaves out a settled epoch is rejected.
   */
  listEpochs(
    networkId: bigint,
    page: PageOptions & VerifyOptions & OnChain,
  ): Promise<EpochListPage<CheckedEpochSummary>>;
  listEpochs(
    networkId: bigint,
    page?: PageOptions & VerifyOptions & Offline,
  ): Promise<EpochListPage<UnverifiedEpochSummary>>;
  listEpochs(
    networkId: bigint,
    page?: PageOptions & VerifyOptions,
  ): Promise<EpochListPage<UnverifiedEpochSummary | CheckedEpochSummary>>;
  /**
   * A device's lines across epochs, newest first. Offline, the node's word. `onChain`: each line of
   * a settled epoch is proven against the root the chain stored.
   */
  getDeviceHistory(
    networkId: bigint,
    deviceId: Hex,
    page: PageOptions & VerifyOptions & OnChain,
  ): Promise<Page<CheckedHistoryItem>>;
  getDeviceHistory(
    networkId: bigint,
    deviceId: Hex,
    page?: PageOptions & VerifyOptions & Offline,
  ): Promise<Page<UnverifiedHistoryItem>>;
  getDeviceHistory(
    networkId: bigint,
    deviceId: Hex,
    page?: PageOptions & VerifyOptions,
  ): Promise<Page<UnverifiedHistoryItem | CheckedHistoryItem>>;
  /**
   * A device's history over settled epochs `fromEpoch..toEpoch`, with one entry per epoch: a line
   * proven against the stored root, a timeout the chain settled, or an absence (proven by export with
   * `proveAbsence`, otherwise marked unverified: a node can withhold a line). `toEpoch` must be below
   * the settlement contract's `nextEpoch` (`NotSettledOnChainError`). Needs `publicClient`.
   */
  getDeviceHistoryRange(
    networkId: bigint,
    deviceId: Hex,
    range: HistoryRangeOptions,
  ): Promise<DeviceHistoryRange>;
  /**
   * A device's reliability over its network's last `window` settled epochs (default 30), from the
   * first node whose figure the client reproduces from that node's history checked on chain
   * (`getDeviceHistoryRange`), with `computeReliability`; a figure that differs is
   * `ReliabilityMismatchError`. `unprovenAbsentEpochs` lists the epochs counted 0 on the node's word
   * (none with `proveAbsence`). Needs `publicClient`.
   */
  getDeviceReliability(
    networkId: bigint,
    deviceId: Hex,
    options?: DeviceReliabilityOptions,
  ): Promise<VerifiedDeviceReliability>;
  /**
   * The fraud evidence a device's slash in an epoch was based on: the `DeviceSlashApplied` event is
   * read from the chain (`NotSlashedOnChainError` if none), the bundle with its `evidenceHash` is
   * fetched from the nodes, must hash to it (`EvidenceMismatchError`) and must pass the attestation
   * library's fraud verifier under the assignment read from the chain (`InvalidEvidenceError`).
   * Needs `publicClient`, and an RPC that serves state at the epoch's start.
   */
  getSlashEvidence(
    networkId: bigint,
    epoch: bigint,
    deviceId: Hex,
    options?: { signal?: AbortSignal },
  ): Promise<VerifiedSlashEvidence>;
  /**
   * The first node's live verdict stream: every `verdict` and `settled` must be signed (EIP-712) by
   * one of the registered signers (`signers`; from a registry, read when the stream opens and again,
   * rate-limited by `signerRefresh`, when an event's signer is not in the list or the list is old),
   * or `InvalidStreamEventError` is thrown. Provisional verdicts are one node's word: never pay on them.
   */
  streamVerdicts(
    networkId: bigint,
    options?: Omit<StreamVerdictsOptions, "verify" | "fetch">,
  ): AsyncGenerator<StreamedVerdict>;
}

/**
 * A feed client that trusts no node: each answer is checked offline (votes, Merkle proof) and,
 * when asked, against the chain; a node whose answer fails a check is skipped for the next one.
 * With one node its error is thrown as is; with several, `AllNodesFailedError` lists them.
 */
export function createFeedClient(options: FeedClientOptions): FeedClient {
  if (options.nodes.length === 0) throw new TypeError("createFeedClient: at least one node URL is needed");
  const fetchOptions = (signal?: AbortSignal) => ({
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 2,
    backoffMs: options.backoffMs ?? 250,
    fetch: options.fetch ?? fetch,
    ...(signal ? { signal } : {}),
  });
  let signersPromise: Promise<readonly Address[]> | undefined;
  const signers = () => {
    if (Array.isArray(options.signers)) return Promise.resolve(options.signers as readonly Address[]);
    const { registry } = options.signers as { registry: Address };
    if (!options.publicClient)
      throw new TypeError("createFeedClient: reading signers from chain needs publicClient");
    signersPromise ??= readOracleSigners(options.publicClient, registry);
    return signersPromise;
  };
  // A stream reads the registry's list when it opens, and again when an event's signer is not in it.
  const streamVerify = async (): Promise<StreamVerdictsOptions["verify"]> => {
    const base = { chainId: options.chainId, settlement: options.settlement };
    if (Array.isArray(options.signers)) return { ...base, signers: options.signers as readonly Address[] };
    const { registry } = options.signers as { registry: Address };
    const client = options.publicClient;
    if (!client) throw new TypeError("createFeedClient: reading signers from chain needs publicClient");
    const read = () => readOracleSigners(client, registry);
    return { ...base, signers: await read(), refreshSigners: { read, registry, ...options.signerRefresh } };
  };
  const chainClient = () => {
    if (!options.publicClient) throw new TypeError("createFeedClient: on-chain checks need publicClient");
    return options.publicClient;
  };
  const fromBlock = options.fromBlock ?? 0n;

  async function firstVerified<T>(attempt: (node: string) => Promise<T>): Promise<T> {
    const errors: FeedClientError[] = [];
    for (const node of options.nodes) {
      try {
        return await attempt(node);
      } catch (error) {
        if (!(error instanceof FeedClientError)) throw error;
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    throw new AllNodesFailedError(errors);
  }

  /** Checks the votes and, `onChain`, the root and the totals; returns the typed result without slashes. */
  async function verifyResult(
    node: string,
    served: Omit<EpochResult, "slashes">,
    networkId: bigint,
    epoch: bigint,
    verify: VerifyOptions,
  ): Promise<OfflineLineResult | OnChainLineResult> {
    if (served.networkId !== networkId)
      throw new LineMismatchError(node, "networkId", networkId, served.networkId);
    if (served.epoch !== epoch) throw new LineMismatchError(node, "epoch", epoch, served.epoch);
    const votes = await checkResultVotes(served, {
      chainId: options.chainId,
      settlement: options.settlement,
      signers: await signers(),
      node,
      ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
      ...(options.strict === undefined ? {} : { strict: options.strict }),
    });
    const signed: SignedEpochResult = {
      networkId: served.networkId,
      epoch: served.epoch,
      resultRoot: served.resultRoot,
      observationsCommitment: served.observationsCommitment,
      votes: served.votes,
      node,
      verifiedSigners: votes.signers,
      foreignSigners: votes.foreign,
    };
    const claims = {
      deviceCount: served.deviceCount,
      totalReward: served.totalReward,
      totalSlash: served.totalSlash,
    };
    if (!verify.onChain)
      return { ...signed, checkedOnChain: false, unverified: { ...claims, settled: served.settled } };
    try {
      await verifyRootOnChain(chainClient(), options.settlement, networkId, epoch, served.resultRoot, node, {
        observationsCommitment: served.observationsCommitment,
        ...claims,
      });
    } catch (error) {
      // Not settled yet is honest news unless the node claimed otherwise.
      if (error instanceof NotSettledOnChainError && served.settled)
        throw new SettledMismatchError(node, networkId, epoch, true);
      throw error;
    }
    return { ...signed, ...claims, checkedOnChain: true, settled: true };
  }

  const pageQuery = (page?: PageOptions) => {
    const q = new URLSearchParams();
    if (page?.limit !== undefined) q.set("limit", String(page.limit));
    if (page?.cursor !== undefined) q.set("cursor", page.cursor);
    const s = q.toString();
    return s ? `?${s}` : "";
  };

  async function getEpochResult(
    networkId: bigint,
    epoch: bigint,
    verify: VerifyOptions = {},
  ): Promise<VerifiedEpochResult> {
    return firstVerified(async (node) => {
      const json = await fetchFeed(
        node,
        `v1/networks/${networkId}/epochs/${epoch}`,
        EpochResultJson,
        fetchOptions(verify.signal),
      );
      const { slashes, ...served } = epochResultFromJson(json);
      const verified = await verifyResult(node, served, networkId, epoch, verify);
      if (!verified.checkedOnChain) return { ...verified, unverified: { ...verified.unverified, slashes } };
      await verifySlashesOnChain(chainClient(), options.settlement, {
        networkId,
        epoch,
        slashes,
        totalSlash: verified.totalSlash,
        fromBlock,
        node,
      });
      return { ...verified, slashes };
    });
  }

  async function getDeviceLine(
    networkId: bigint,
    epoch: bigint,
    deviceId: Hex,
    verify: VerifyOptions = {},
  ): Promise<VerifiedDeviceLine> {
    return firstVerified(async (node) => {
      const json = await fetchFeed(
        node,
        `v1/networks/${networkId}/epochs/${epoch}/devices/${deviceId}`,
        DeviceLineProofJson,
        fetchOptions(verify.signal),
      );
      const line = deviceLineFromJson(json.line);
      checkLineIdentity(node, line, networkId, deviceId, epoch);
      const proof = { line, leaf: json.leaf as Hex, proof: json.proof as Hex[] };
      const { slashes: _, ...served } = epochResultFromJson(json.result);
      verifyLineProof(served.resultRoot, proof, node);
      const result = await verifyResult(node, served, networkId, epoch, verify);
      if (result.checkedOnChain)
        await verifyLineOnChain(chainClient(), options.settlement, line, proof.proof, node);
      return { ...proof, result } as VerifiedDeviceLine;
    });
  }

  async function listEpochs(
    networkId: bigint,
    page: PageOptions & VerifyOptions = {},
  ): Promise<EpochListPage<UnverifiedEpochSummary | CheckedEpochSummary>> {
    return firstVerified(async (node) => {
      const json = await fetchFeed(
        node,
        `v1/networks/${networkId}/epochs${pageQuery(page)}`,
        EpochPageJson,
        fetchOptions(page.signal),
      );
      const items = json.items.map((i): UnverifiedEpochSummary => {
        if (BigInt(i.networkId) !== networkId)
          throw new LineMismatchError(node, "networkId", networkId, i.networkId);
        return {
          epoch: BigInt(i.epoch),
          unverified: {
            resultRoot: i.resultRoot as Hex,
            deviceCount: i.deviceCount,
            totalReward: BigInt(i.totalReward),
            totalSlash: BigInt(i.totalSlash),
            settled: i.settled,
          },
        };
      });
      const prunedBefore = json.prunedBefore === null ? null : BigInt(json.prunedBefore);
      const base = { nextCursor: json.nextCursor, unverified: { prunedBefore } };
      if (!page.onChain) return { ...base, items };
      const checked = await verifyEpochListOnChain(chainClient(), options.settlement, {
        networkId,
        items,
        before: page.cursor === undefined ? undefined : BigInt(page.cursor),
        lastPage: json.nextCursor === null,
        prunedBefore,
        fromBlock,
        node,
      });
      return { ...base, items: checked };
    });
  }

  async function getDeviceHistory(
    networkId: bigint,
    deviceId: Hex,
    page: PageOptions & VerifyOptions = {},
  ): Promise<Page<UnverifiedHistoryItem | CheckedHistoryItem>> {
    return firstVerified(async (node) => {
      const json = await fetchFeed(
        node,
        `v1/networks/${networkId}/devices/${deviceId}/history${pageQuery(page)}`,
        DeviceHistoryPageJson,
        fetchOptions(page.signal),
      );
      let previous = page.cursor === undefined ? undefined : BigInt(page.cursor);
      const served = json.items.map((i) => {
        const line = deviceLineFromJson(i.line);
        checkLineIdentity(node, line, networkId, deviceId);
        // Newest first, each epoch once, below the cursor: anything else is not the page asked for.
        if (previous !== undefined && line.epoch >= previous)
          throw new MalformedResponseError(node, `history epochs not strictly descending at ${line.epoch}`);
        previous = line.epoch;
        return {
          line,
          leaf: i.leaf as Hex,
          proof: i.proof as Hex[],
          resultRoot: i.resultRoot as Hex,
          settled: i.settled,
        };
      });
      const unverified = (s: (typeof served)[number]): UnverifiedHistoryItem => ({
        epoch: s.line.epoch,
        unverified: { line: s.line, resultRoot: s.resultRoot, settled: s.settled },
      });
      if (!page.onChain) return { items: served.map(unverified), nextCursor: json.nextCursor };
      const client = chainClient();
      const next = await readNextEpoch(client, options.settlement, networkId);
      const items = await Promise.all(
        served.map(async (s): Promise<CheckedHistoryItem> => {
          const stored =
            s.line.epoch < next
              ? (await readEpochResult(client, options.settlement, networkId, s.line.epoch)).resultRoot
              : undefined;
          if (stored === undefined) {
            if (s.settled) throw new SettledMismatchError(node, networkId, s.line.epoch, true);
            return { ...unverified(s), settledOnChain: false };
          }
          // Proven against the chain's root, whatever root the node named.
          verifyLineProof(stored, s, node);
          return {
            epoch: s.line.epoch,
            settledOnChain: true,
            line: s.line,
            leaf: s.leaf,
            proof: s.proof,
            resultRoot: stored,
          };
        }),
      );
      return { items, nextCursor: json.nextCursor };
    });
  }

  async function getDeviceHistoryRange(
    networkId: bigint,
    deviceId: Hex,
    range: HistoryRangeOptions,
  ): Promise<DeviceHistoryRange> {
    const { fromEpoch, toEpoch } = range;
    if (fromEpoch < 0n || toEpoch < fromEpoch || toEpoch - fromEpoch >= MAX_HISTORY_RANGE)
      throw new TypeError(
        `getDeviceHistoryRange: need 0 <= fromEpoch <= toEpoch and at most ${MAX_HISTORY_RANGE} epochs (got ${fromEpoch}..${toEpoch})`,
      );
    const client = chainClient();
    const next = await readNextEpoch(client, options.settlement, networkId);
    if (toEpoch >= next) throw new NotSettledOnChainError(undefined, networkId, toEpoch);
    // The chain's roots first: they decide each epoch's entry, whatever a node serves.
    const roots = new Map<bigint, Hex>();
    for (let e = toEpoch; e >= fromEpoch; e--)
      roots.set(e, (await readEpochResult(client, options.settlement, networkId, e)).resultRoot);
    return firstVerified(async (node) => {
      const served = new Map<bigint, { line: DeviceLine; leaf: Hex; proof: Hex[] }>();
      let cursor: bigint | null = toEpoch + 1n;
      while (cursor !== null && cursor > fromEpoch) {
        const json: z.infer<typeof DeviceHistoryPageJson> = await fetchFeed(
          node,
          `v1/networks/${networkId}/devices/${deviceId}/history${pageQuery({ cursor: String(cursor), limit: 100 })}`,
          DeviceHistoryPageJson,
          fetchOptions(range.signal),
        );
        let previous = cursor;
        for (const i of json.items) {
          const line = deviceLineFromJson(i.line);
          checkLineIdentity(node, line, networkId, deviceId);
          if (line.epoch >= previous)
            throw new MalformedResponseError(node, `history epochs not strictly descending at ${line.epoch}`);
          previous = line.epoch;
          if (line.epoch >= fromEpoch)
            served.set(line.epoch, { line, leaf: i.leaf as Hex, proof: i.proof as Hex[] });
        }
        const nextCursor: bigint | null = json.nextCursor === null ? null : BigInt(json.nextCursor);
        if (nextCursor !== null && nextCursor >= cursor)
          throw new MalformedResponseError(
            node,
            `history cursor ${nextCursor} does not move below ${cursor}`,
          );
        cursor = json.items.length === 0 ? null : nextCursor;
      }
      const entries: DeviceHistoryEntry[] = [];
      for (let epoch = toEpoch; epoch >= fromEpoch; epoch--) {
        const root = roots.get(epoch)!;
        const item = served.get(epoch);
        if (/^0x0{64}$/.test(root)) {
          // A timed-out epoch has no lines: a served one cannot be proven against the zero root.
          if (item) verifyLineProof(root, item, node);
          entries.push({ epoch, status: "timeout" });
        } else if (item) {
          verifyLineProof(root, item, node);
          entries.push({ epoch, status: "line", ...item, resultRoot: root });
        } else if (range.proveAbsence) {
          let withheld = false;
          await exportEpoch(networkId, epoch, {
            onChain: true,
            ...(range.signal ? { signal: range.signal } : {}),
            onLine: (l) => {
              if (l.deviceId.toLowerCase() === deviceId.toLowerCase()) withheld = true;
            },
          });
          if (withheld) throw new WithheldLineError(node, networkId, epoch, deviceId);
          entries.push({ epoch, status: "absent", absenceProven: true });
        } else entries.push({ epoch, status: "absent", absenceProven: false, unverified: { node } });
      }
      return { networkId, deviceId, node, entries };
    });
  }

  async function getSlashEvidence(
    networkId: bigint,
    epoch: bigint,
    deviceId: Hex,
    verify: { signal?: AbortSignal } = {},
  ): Promise<VerifiedSlashEvidence> {
    const client = chainClient();
    const registry =
      options.registry ??
      (Array.isArray(options.signers) ? undefined : (options.signers as { registry: Address }).registry);
    if (!registry)
      throw new TypeError(
        "createFeedClient: getSlashEvidence needs the registry (`registry` or `signers.registry`)",
      );
    // The hash comes from the chain, never from a node: the bundle is fetched by it.
    const slash = await readSlashOnChain(client, options.settlement, {
      networkId,
      epoch,
      deviceId,
      fromBlock,
    });
    const judges = await readEvidenceJudges(client, {
      settlement: options.settlement,
      registry,
      networkId,
      epoch,
      deviceId: slash.deviceId,
    });
    return firstVerified(async (node) => {
      const json = await fetchFeed(
        node,
        `v1/networks/${networkId}/epochs/${epoch}/evidence/${slash.evidenceHash}`,
        FraudEvidenceJson,
        fetchOptions(verify.signal),
      );
      if (BigInt(json.networkId) !== networkId)
        throw new EvidenceMismatchError(node, "networkId", networkId, BigInt(json.networkId));
      if (BigInt(json.epoch) !== epoch)
        throw new EvidenceMismatchError(node, "epoch", epoch, BigInt(json.epoch));
      return verifySlashEvidence(hexToBytes(json.evidence as Hex), slash, judges, node);
    });
  }

  async function exportEpoch(
    networkId: bigint,
    epoch: bigint,
    verify: ExportOptions = {},
  ): Promise<EpochExport> {
    let delivered = false;
    const attempt = async (node: string): Promise<EpochExport> => {
      const response = await openFeedStream(
        node,
        `v1/networks/${networkId}/epochs/${epoch}/export`,
        fetchOptions(verify.signal),
      );
      if (!response.body) throw new MalformedResponseError(node, "export has no body");
      const rows = ndjsonLines(response.body, node);
      try {
        const first = await rows.next();
        if (first.done) throw new MalformedResponseError(node, "export is empty: no header line");
        const header = parseLine(node, first.value, ExportHeaderJson, "export header");
        const { slashes, ...served } = epochResultFromJson(header.result);
        const verified = await verifyResult(node, served, networkId, epoch, verify);
        let result: VerifiedEpochResult;
        if (verified.checkedOnChain) {
          await verifySlashesOnChain(chainClient(), options.settlement, {
            networkId,
            epoch,
            slashes,
            totalSlash: verified.totalSlash,
            fromBlock,
            node,
          });
          result = { ...verified, slashes };
        } else result = { ...verified, unverified: { ...verified.unverified, slashes } };
        if (header.leafCount !== served.deviceCount)
          throw new ExportMismatchError(
            node,
            `leafCount ${header.leafCount} differs from deviceCount ${served.deviceCount}`,
            {
              leafCount: header.leafCount,
              deviceCount: served.deviceCount,
            },
          );
        const tree = shape(node, () => new LinesRootBuilder(header.leafCount));
        const lines: DeviceLine[] | undefined = verify.onLine ? undefined : [];
        let totalReward = 0n;
        for await (const text of rows) {
          const row = parseLine(node, text, ExportRowJson, `export row ${tree.added + 1}`);
          if (tree.added === header.leafCount)
            throw new ExportMismatchError(node, `more rows than leafCount ${header.leafCount}`, {
              leafCount: header.leafCount,
            });
          const line: DeviceLine = {
            networkId,
            epoch,
            deviceId: row.deviceId as Hex,
            owner: row.owner as Address,
            uptimeBps: row.uptimeBps,
            work: BigInt(row.work),
            reward: BigInt(row.reward),
            slash: BigInt(row.slash),
          };
          shape(node, () => tree.add(line, row.treeIndex));
          totalReward += line.reward;
          if (!verify.onLine) lines!.push(line);
          else {
            delivered = true;
            await verify.onLine(line);
          }
        }
        if (tree.added < header.leafCount)
          throw new ExportMismatchError(
            node,
            `stream ended after ${tree.added} of ${header.leafCount} rows`,
            {
              rows: tree.added,
              leafCount: header.leafCount,
            },
          );
        const rebuiltRoot = tree.root();
        if (rebuiltRoot !== verified.resultRoot.toLowerCase())
          throw new ExportMismatchError(
            node,
            `rows rebuild root ${rebuiltRoot}, the verified result root is ${verified.resultRoot}`,
            { rebuiltRoot, resultRoot: verified.resultRoot },
          );
        // The votes sign the root only: with the rows proven, the total they sum to is checked too.
        if (totalReward !== served.totalReward)
          throw new ExportMismatchError(
            node,
            `rows' rewards sum to ${totalReward}, the result says totalReward ${served.totalReward}`,
            { rows: totalReward, totalReward: served.totalReward },
          );
        return { result, lines, leafCount: header.leafCount };
      } finally {
        await rows.return(undefined);
      }
    };
    const errors: FeedClientError[] = [];
    for (const node of options.nodes) {
      try {
        return await attempt(node);
      } catch (error) {
        // Lines already went to `onLine`: the caller must drop them, not receive another node's too.
        if (!(error instanceof FeedClientError) || delivered) throw error;
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    throw new AllNodesFailedError(errors);
  }

  return {
    exportEpoch: exportEpoch as FeedClient["exportEpoch"],
    getEpochResult: getEpochResult as FeedClient["getEpochResult"],
    getDeviceLine: getDeviceLine as FeedClient["getDeviceLine"],
    listEpochs: listEpochs as FeedClient["listEpochs"],
    getDeviceHistory: getDeviceHistory as FeedClient["getDeviceHistory"],
    getDeviceHistoryRange,
    getDeviceReliability: (networkId, deviceId, reliabilityOptions) =>
      getDeviceReliability(
        {
          nodes: options.nodes,
          publicClient: chainClient(),
          settlement: options.settlement,
          fetchOptions,
          // The history of the node whose figure is checked, not of whichever node answers first.
          historyRange: (node, n, d, range) =>
            createFeedClient({ ...options, nodes: [node] }).getDeviceHistoryRange(n, d, range),
        },
        networkId,
        deviceId,
        reliabilityOptions,
      ),
    getSlashEvidence,
    async *streamVerdicts(networkId, streamOptions = {}) {
      yield* streamVerdicts(options.nodes[0]!, networkId, {
        ...streamOptions,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        verify: await streamVerify(),
      });
    },
  };
}

function checkLineIdentity(node: string, line: DeviceLine, networkId: bigint, deviceId: Hex, epoch?: bigint) {
  if (line.networkId !== networkId) throw new LineMismatchError(node, "networkId", networkId, line.networkId);
  if (epoch !== undefined && line.epoch !== epoch)
    throw new LineMismatchError(node, "epoch", epoch, line.epoch);
  if (line.deviceId.toLowerCase() !== deviceId.toLowerCase())
    throw new LineMismatchError(node, "deviceId", deviceId, line.deviceId);
}

function parseLine<S extends z.ZodType>(node: string, text: string, schema: S, what: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedResponseError(node, `${what} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new MalformedResponseError(
      node,
      `${what}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}

/** Runs a tree step, turning a row that cannot sit in the tree into the client's typed error. */
function shape<T>(node: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof TreeShapeError) throw new ExportMismatchError(node, error.message);
    throw error;
  }
}
