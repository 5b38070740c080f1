import type { Address, Hex, PublicClient } from "viem";
import {
  computeReliability,
  RELIABILITY_WINDOW_DEFAULT,
  type Reliability,
  type ReliabilityEpoch,
  reliabilityWindow,
  SLA_UPTIME_BPS,
} from "../reliability";
import { DeviceReliabilityJson } from "../responseSchemas";
import type { DeviceHistoryEntry, DeviceHistoryRange, HistoryRangeOptions } from "./createFeedClient";
import {
  AllNodesFailedError,
  FeedClientError,
  NotSettledOnChainError,
  ReliabilityMismatchError,
} from "./errors";
import { type FetchFeedOptions, fetchFeed } from "./fetchFeed";
import { readNextEpoch } from "./onChain";

export interface DeviceReliabilityOptions {
  /** W: the network's last settled epochs the score covers, 1..720; default 30. */
  window?: number;
  /**
   * Prove each epoch the node served no line for by exporting it (see `getDeviceHistoryRange`):
   * one export per such epoch, rate-limited by the nodes. Without it the score rests on the node's
   * word for those epochs (`unprovenAbsentEpochs`).
   */
  proveAbsence?: boolean;
  /**
   * How many epochs the node's window may end before the chain's newest settled epoch (a node sees a
   * settlement a moment after the chain); default 1. Further back is `RELIABILITY_MISMATCH` on `toEpoch`.
   */
  maxLagEpochs?: number;
  signal?: AbortSignal;
}

/** A node's reliability figure, recomputed by the client from the device's history checked on chain. */
export interface VerifiedDeviceReliability {
  networkId: bigint;
  deviceId: Hex;
  /** The node whose figure and history were checked. */
  node: string;
  /** The figure, as recomputed (and equal to the node's). */
  reliability: Reliability;
  /**
   * Epochs of the window the node served no line for and that were not proven absent: each counts 0
   * on the node's word (a root proves what is in the tree, not what is not). Empty: the score rests
   * on proven lines, proven absences and the chain's timeouts alone.
   */
  unprovenAbsentEpochs: bigint[];
  /** The entries the score was computed from, newest first. */
  history: DeviceHistoryEntry[];
}

export interface DeviceReliabilityContext {
  nodes: readonly string[];
  publicClient: PublicClient;
  settlement: Address;
  fetchOptions: (signal?: AbortSignal) => FetchFeedOptions;
  /** One node's history over settled epochs, accounted for against the chain (`getDeviceHistoryRange`). */
  historyRange: (
    node: string,
    networkId: bigint,
    deviceId: Hex,
    range: HistoryRangeOptions,
  ) => Promise<DeviceHistoryRange>;
}

const COMPARED = [
  "fromEpoch",
  "epochs",
  "epochsSettled",
  "epochsWithLine",
  "meanUptimeBps",
  "epochsAtSla",
  "slashes",
  "scoreBps",
] as const;

/**
 * Reads a device's reliability from the first node whose figure checks out: the node's window must be
 * the one asked for and end at the chain's newest settled epoch (within `maxLagEpochs`); the same
 * node's history over it is accounted for against the chain (lines proven against the stored roots,
 * timeouts from the chain, absences proven by export with `proveAbsence`); the score is recomputed
 * with `computeReliability`, and any figure that differs is `ReliabilityMismatchError`.
 */
export async function getDeviceReliability(
  ctx: DeviceReliabilityContext,
  networkId: bigint,
  deviceId: Hex,
  options: DeviceReliabilityOptions = {},
): Promise<VerifiedDeviceReliability> {
  const window = options.window ?? RELIABILITY_WINDOW_DEFAULT;
  reliabilityWindow(0n, window); // throws RangeError on a window out of 1..720, before any request
  const maxLag = BigInt(options.maxLagEpochs ?? 1);
  const errors: FeedClientError[] = [];
  for (const node of ctx.nodes) {
    try {
      return await fromNode(node);
    } catch (error) {
      if (!(error instanceof FeedClientError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  throw new AllNodesFailedError(errors);

  async function fromNode(node: string): Promise<VerifiedDeviceReliability> {
    const served = await fetchFeed(
      node,
      `v1/networks/${networkId}/devices/${deviceId}/reliability?window=${window}`,
      DeviceReliabilityJson,
      ctx.fetchOptions(options.signal),
    );
    if (served.networkId !== networkId.toString())
      throw new ReliabilityMismatchError(node, "networkId", networkId, served.networkId);
    if (served.deviceId.toLowerCase() !== deviceId.toLowerCase())
      throw new ReliabilityMismatchError(node, "deviceId", deviceId, served.deviceId);
    if (served.window !== window) throw new ReliabilityMismatchError(node, "window", window, served.window);
    if (served.slaUptimeBps !== SLA_UPTIME_BPS)
      throw new ReliabilityMismatchError(node, "slaUptimeBps", SLA_UPTIME_BPS, served.slaUptimeBps);
    const toEpoch = BigInt(served.toEpoch);
    const next = await readNextEpoch(ctx.publicClient, ctx.settlement, networkId);
    if (toEpoch >= next) throw new NotSettledOnChainError(node, networkId, toEpoch);
    if (next - 1n - toEpoch > maxLag) throw new ReliabilityMismatchError(node, "toEpoch", next - 1n, toEpoch);
    const { fromEpoch } = reliabilityWindow(toEpoch, window);
    const range = await ctx.historyRange(node, networkId, deviceId, {
      fromEpoch,
      toEpoch,
      ...(options.proveAbsence ? { proveAbsence: true } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const history = range.entries.map(
      (e): ReliabilityEpoch =>
        e.status === "line"
          ? { epoch: e.epoch, status: "line", uptimeBps: e.line.uptimeBps, slash: e.line.slash }
          : { epoch: e.epoch, status: e.status },
    );
    const reliability = computeReliability(toEpoch, window, history);
    const servedFigures = { ...served, fromEpoch: BigInt(served.fromEpoch) };
    for (const field of COMPARED)
      if (servedFigures[field] !== reliability[field])
        throw new ReliabilityMismatchError(node, field, reliability[field], servedFigures[field]);
    return {
      networkId,
      deviceId,
      node,
      reliability,
      unprovenAbsentEpochs: range.entries
        .filter((e) => e.status === "absent" && !e.absenceProven)
        .map((e) => e.epoch),
      history: range.entries,
    };
  }
}
