import type { Address, Hex, PublicClient } from "viem";
import type { DeviceLine } from "../../../contracts/lines";
import { DeviceHistoryPageJson, DeviceLineProofJson, EpochPageJson, EpochResultJson } from "../schemas";
import type { EpochResult } from "../source";
import { AllNodesFailedError, FeedClientError, LineMismatchError } from "./errors";
import { fetchFeed } from "./fetchFeed";
import { deviceLineFromJson, epochResultFromJson } from "./fromJson";
import { readOracleSigners, verifyLineOnChain, verifyRootOnChain } from "./onChain";
import { verifyLineProof } from "./verifyLineProof";
import { verifyResultVotes } from "./verifyResultVotes";

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
  /** Distinct registered signers required; default f + 1. */
  threshold?: number;
  /** Reject results carrying any vote by an unregistered signer. */
  strict?: boolean;
  /** For on-chain checks and for reading signers from the registry. */
  publicClient?: PublicClient;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * A result whose votes verified. `settled` is the node's word; only `checkedOnChain: true` means the
 * client itself saw the root stored by the settlement contract.
 */
export interface VerifiedEpochResult extends EpochResult {
  /** The node that served it. */
  node: string;
  /** Registered signers whose votes verified. */
  verifiedSigners: Address[];
  /** True when the root was also compared with the settlement contract. */
  checkedOnChain: boolean;
}

export interface VerifiedDeviceLine {
  line: DeviceLine;
  leaf: Hex;
  proof: Hex[];
  result: Omit<VerifiedEpochResult, "slashes">;
}

export interface VerifyOptions {
  /** Also compare the root with the settlement contract (and for lines, call `verifyLine`). */
  onChain?: boolean;
  signal?: AbortSignal;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface FeedClient {
  /** An epoch's result whose votes verified against the registered signers. */
  getEpochResult(networkId: bigint, epoch: bigint, options?: VerifyOptions): Promise<VerifiedEpochResult>;
  /** A device's line, proven against a result root that f + 1 registered oracles signed. */
  getDeviceLine(
    networkId: bigint,
    epoch: bigint,
    deviceId: Hex,
    options?: VerifyOptions,
  ): Promise<VerifiedDeviceLine>;
  /** Epoch summaries (not verified: fetch a result to verify it). */
  listEpochs(
    networkId: bigint,
    page?: { cursor?: string; limit?: number },
  ): Promise<Page<EpochPageJson["items"][number]>>;
  /** A device's lines across epochs (not verified: fetch a line to verify it). */
  getDeviceHistory(
    networkId: bigint,
    deviceId: Hex,
    page?: { cursor?: string; limit?: number },
  ): Promise<Page<{ line: DeviceLine; resultRoot: Hex; settled: boolean }>>;
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
  const chainClient = () => {
    if (!options.publicClient) throw new TypeError("createFeedClient: on-chain checks need publicClient");
    return options.publicClient;
  };

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

  async function verifyResult(
    node: string,
    result: Omit<EpochResult, "slashes">,
    networkId: bigint,
    epoch: bigint,
    verify: VerifyOptions,
  ) {
    if (result.networkId !== networkId)
      throw new LineMismatchError(node, "networkId", networkId, result.networkId);
    if (result.epoch !== epoch) throw new LineMismatchError(node, "epoch", epoch, result.epoch);
    const verifiedSigners = await verifyResultVotes(result, {
      chainId: options.chainId,
      settlement: options.settlement,
      signers: await signers(),
      node,
      ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
      ...(options.strict === undefined ? {} : { strict: options.strict }),
    });
    if (verify.onChain)
      await verifyRootOnChain(chainClient(), options.settlement, networkId, epoch, result.resultRoot, node, {
        observationsCommitment: result.observationsCommitment,
        deviceCount: result.deviceCount,
        totalReward: result.totalReward,
        totalSlash: result.totalSlash,
      });
    return { ...result, node, verifiedSigners, checkedOnChain: verify.onChain === true };
  }

  const pageQuery = (page?: { cursor?: string; limit?: number }) => {
    const q = new URLSearchParams();
    if (page?.limit !== undefined) q.set("limit", String(page.limit));
    if (page?.cursor !== undefined) q.set("cursor", page.cursor);
    const s = q.toString();
    return s ? `?${s}` : "";
  };

  return {
    getEpochResult(networkId, epoch, verify = {}) {
      return firstVerified(async (node) => {
        const json = await fetchFeed(
          node,
          `v1/networks/${networkId}/epochs/${epoch}`,
          EpochResultJson,
          fetchOptions(verify.signal),
        );
        const result = epochResultFromJson(json);
        const verified = await verifyResult(node, result, networkId, epoch, verify);
        return { ...verified, slashes: result.slashes };
      });
    },
    getDeviceLine(networkId, epoch, deviceId, verify = {}) {
      return firstVerified(async (node) => {
        const json = await fetchFeed(
          node,
          `v1/networks/${networkId}/epochs/${epoch}/devices/${deviceId}`,
          DeviceLineProofJson,
          fetchOptions(verify.signal),
        );
        const line = deviceLineFromJson(json.line);
        if (line.networkId !== networkId)
          throw new LineMismatchError(node, "networkId", networkId, line.networkId);
        if (line.epoch !== epoch) throw new LineMismatchError(node, "epoch", epoch, line.epoch);
        if (line.deviceId.toLowerCase() !== deviceId.toLowerCase())
          throw new LineMismatchError(node, "deviceId", deviceId, line.deviceId);
        const proof = { line, leaf: json.leaf as Hex, proof: json.proof as Hex[] };
        const { slashes: _, ...result } = epochResultFromJson(json.result);
        verifyLineProof(result.resultRoot, proof, node);
        const verified = await verifyResult(node, result, networkId, epoch, verify);
        if (verify.onChain)
          await verifyLineOnChain(chainClient(), options.settlement, line, proof.proof, node);
        return { ...proof, result: verified };
      });
    },
    listEpochs(networkId, page) {
      return firstVerified(async (node) => {
        const json = await fetchFeed(
          node,
          `v1/networks/${networkId}/epochs${pageQuery(page)}`,
          EpochPageJson,
          fetchOptions(),
        );
        return { items: json.items, nextCursor: json.nextCursor };
      });
    },
    getDeviceHistory(networkId, deviceId, page) {
      return firstVerified(async (node) => {
        const json = await fetchFeed(
          node,
          `v1/networks/${networkId}/devices/${deviceId}/history${pageQuery(page)}`,
          DeviceHistoryPageJson,
          fetchOptions(),
        );
        return {
          items: json.items.map((i) => ({
            line: deviceLineFromJson(i.line),
            resultRoot: i.resultRoot as Hex,
            settled: i.settled,
          })),
          nextCursor: json.nextCursor,
        };
      });
    },
  };
}
