import { EVM_PB } from "@chainlink/cre-sdk/pb";
import { type BlockTag, bytesToHex, type Chain, type Hex, type PublicClient, type Transport } from "viem";
import { toLogProto } from "./capabilities/evm";
import type { CreHost, ExecutionOutcome } from "./host";

export interface LogTriggerOptions {
  chainSelector: bigint;
  client: PublicClient<Transport, Chain | undefined>;
  /** How often to ask the chain for new logs, in ms (default 1000; tests use less). */
  pollingIntervalMs?: number;
  onOutcome?: (outcome: ExecutionOutcome) => void;
  onError?: (err: unknown) => void;
}

const TAGS: Record<number, BlockTag> = {
  [EVM_PB.ConfidenceLevel.SAFE]: "safe",
  [EVM_PB.ConfidenceLevel.LATEST]: "latest",
  [EVM_PB.ConfidenceLevel.FINALIZED]: "finalized",
};

/**
 * Serves the host's EVM log triggers on one chain: polls `eth_getLogs` with each subscription's
 * addresses and topics up to the block its confidence level allows, and fires one execution per log,
 * in chain order. Starts at the current block (logs from before the start are not replayed).
 */
export function startLogTriggers(host: CreHost, opts: LogTriggerOptions): { stop(): void } {
  const id = `evm:ChainSelector:${opts.chainSelector}@1.0.0`;
  const subs = host.subscriptions.filter((s) => s.capabilityId === id && s.method === "LogTrigger");
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const cursors = new Map<number, bigint>();

  const poll = async () => {
    for (const sub of subs) {
      const cfg = sub.config as EVM_PB.FilterLogTriggerRequest;
      const tag = TAGS[cfg.confidence] ?? "latest";
      const head = (await opts.client.getBlock({ blockTag: tag })).number ?? 0n;
      const from = cursors.get(sub.index);
      cursors.set(sub.index, head);
      if (from === undefined || head <= from) continue;
      const logs = await opts.client.getLogs({
        address: cfg.addresses.map((a) => bytesToHex(a)),
        fromBlock: from + 1n,
        toBlock: head,
      } as Parameters<typeof opts.client.getLogs>[0]);
      for (const log of logs) {
        const topics = log.topics as Hex[];
        const matches = cfg.topics.every(
          (slot, i) => slot.values.length === 0 || slot.values.some((v) => bytesToHex(v) === topics[i]),
        );
        if (!matches || stopped) continue;
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
