import { Counter, Gauge, type Registry } from "prom-client";

export interface ChainViewMetrics {
  events: Counter<"event">;
  fullReads: Counter<"result">;
  followFailures: Counter<"code">;
  processedBlock: Gauge;
  chainHead: Gauge;
  signerBalance: Gauge;
}

export function createChainViewMetrics(registry: Registry | undefined): ChainViewMetrics {
  const registers = registry ? [registry] : [];
  return {
    events: new Counter({
      name: "vigil_chain_view_events_total",
      help: "Registry and settlement events applied to the node's chain view, by event name",
      labelNames: ["event"],
      registers,
    }),
    fullReads: new Counter({
      name: "vigil_chain_view_full_reads_total",
      help: "Full reads of the registry and settlement state (at start, the periodic backstop, on request), by result",
      labelNames: ["result"],
      registers,
    }),
    followFailures: new Counter({
      name: "vigil_chain_view_follow_failures_total",
      help: "Ticks that could not apply new blocks (the range is retried on the next tick), by error code",
      labelNames: ["code"],
      registers,
    }),
    processedBlock: new Gauge({
      name: "vigil_chain_view_processed_block",
      help: "Last block whose registry and settlement logs the chain view has applied",
      registers,
    }),
    chainHead: new Gauge({
      name: "vigil_chain_head_block",
      help: "Latest block number seen on the home chain",
      registers,
    }),
    signerBalance: new Gauge({
      name: "vigil_signer_balance_wei",
      help: "Native balance of this node's signer / transmitter account on the home chain",
      registers,
    }),
  };
}
