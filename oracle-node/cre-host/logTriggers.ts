import { EVM_PB } from "@chainlink/cre-sdk/pb";
import { type BlockTag, bytesToHex, type Chain, type Hex, type PublicClient, type Transport } from "viem";
import { toLogProto } from "./capabilities/evm";
import type { CreHost, ExecutionOutcome } from "./host";

export interface LogTriggerOptions {
  chainSelector: bigint;
  client: PublicClient<Transport, Chain | undefined>;
  /** How often to ask the chain for new logs, in ms (default 1000; tests use less). */
  pollingIntervalMs?: number;
  /** First block whose logs fire (default: logs from after the head when the triggers start). */
  fromBlock?: bigint;
  onOutcome?: (outcome: ExecutionOutcome) => void;
  onError?: (err: unknown) => void;
}

const TAGS: Record<number, BlockTag> = {
  [EVM_PB.ConfidenceLevel.SAFE]: "safe",
  [EVM_PB.ConfidenceLevel.LATEST]: "latest",
  [EVM_PB.ConfidenceLevel.FINALIZED]: "finalized",
};

/**
 * Why a log does not match a log trigger's filter (its addresses, and per topic slot one of the
 * slot's values; an empty list matches anything), or undefined when it matches.
 */
export function logFilterMismatch(
  log: { address: Hex; topics: readonly Hex[] },
  cfg: EVM_PB.FilterLogTriggerRequest,
): string | undefined {
  const addresses = cfg.addresses.map((a) => bytesToHex(a).toLowerCase());
  if (addresses.length > 0 && !addresses.includes(log.address.toLowerCase())) {
    return `address ${log.address} is not one of the trigger's addresses (${addresses.join(", ")})`;
  }
  for (const [i, slot] of cfg.topics.entries()) {
    const values = slot.values.map((v) => bytesToHex(v).toLowerCase());
    if (values.length === 0) continue;
    const topic = log.topics[i]?.toLowerCase();
    if (topic === undefined || !values.includes(topic)) {
      return `topic ${i} ${topic ?? "(none)"} is not one of the trigger's (${values.join(", ")})`;
    }
  }
  return undefined;
}

/**
 * Serves the host's EVM log triggers on one chain: polls `eth_getLogs` with each subscription's
 * addresses and topics up to the block its confidence level allows, and fires one execution per log,
 * in chain order. Starts at the current block (logs from before the start are not replayed) unless
 * given `fromBlock`.
 */
export function startLogTriggers(host: CreHost, opts: LogTriggerOptions): { stop(): void } {
  const id = `evm:ChainSelector:${opts.chainSelector}@1.0.0`;
  const subs = host.subscriptions.filter((s) => s.capabilityId === id && s.method === "LogTrigger");
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const cursors = new Map<number, bigint>();
  if (opts.fromBlock !== undefined) for (const sub of subs) cursors.set(sub.index, opts.fromBlock - 1n);

  const poll = async () => {
    for (const sub of subs) {
      const cfg = sub.config as EVM_PB.FilterLogTriggerRequest;
      const tag = TAGS[cfg.confidence] ?? "latest";
      const head = (await opts.client.getBlock({ blockTag: tag })).number ?? 0n;
      const from = cursors.get(sub.index);
      if (from !== undefined && head <= from) continue;
      cursors.set(sub.index, head);
      if (from === undefined) continue;
      const logs = await opts.client.getLogs({
        address: cfg.addresses.map((a) => bytesToHex(a)),
        fromBlock: from + 1n,
        toBlock: head,
      } as Parameters<typeof opts.client.getLogs>[0]);
      for (const log of logs) {
        if (logFilterMismatch(log, cfg) !== undefined || stopped) continue;
        const outcome = await host.fireLog(toLogProto(log), sub.index);
        opts.onOutcome?.(outcome);
      }
    }
  };
  const loop = () => {
    if (stopped) return;
    poll()
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, opts.pollingIntervalMs ?? 1000);
      });
  };
  loop();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
