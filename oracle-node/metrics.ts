import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Node-level metrics on one prom-client registry (modules add theirs to it: the chain view exports
 * `vigil_chain_head_block` and `vigil_signer_balance_wei`), shared with libp2p's `@libp2p/prometheus-metrics`
 * (pass `metrics.registry` to it) so `/metrics` serves both. Names carry unit suffixes.
 */
export function createNodeMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  // Process metrics (CPU, heap, event loop lag) only once per process: tests start several nodes in one.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "vigil_" });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: "vigil_http_requests_total",
      help: "HTTP requests served, by route and status",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: "vigil_http_request_duration_seconds",
      help: "HTTP request latency",
      labelNames: ["route"] as const,
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2],
      registers,
    }),
    attestations: new Counter({
      name: "vigil_intake_attestations_total",
      help: "Device attestations received, by source (device, gossip) and outcome",
      labelNames: ["source", "outcome"] as const,
      registers,
    }),
    challenges: new Counter({
      name: "vigil_intake_challenges_total",
      help: "Challenges issued by this node and their verdicts",
      labelNames: ["outcome"] as const,
      registers,
    }),
    assignedDevices: new Gauge({
      name: "vigil_assigned_devices",
      help: "Devices assigned to this node in the current epoch",
      labelNames: ["network"] as const,
      registers,
    }),
    lastCertifiedEpoch: new Gauge({
      name: "vigil_last_certified_epoch",
      help: "Newest epoch this node holds a certified result for, by network (-1: none)",
      labelNames: ["network"] as const,
      registers,
    }),
    lastSettledEpoch: new Gauge({
      name: "vigil_last_settled_epoch",
      help: "Newest epoch settled on chain, by network (-1: none)",
      labelNames: ["network"] as const,
      registers,
    }),
    settlementLag: new Gauge({
      name: "vigil_settlement_lag_epochs",
      help: "Closed epochs not yet settled on chain, by network (alert above 1)",
      labelNames: ["network"] as const,
      registers,
    }),
    epochCloses: new Counter({
      name: "vigil_epoch_closes_total",
      help: "Epochs closed by this node, by network",
      labelNames: ["network"] as const,
      registers,
    }),
  };
}

export type NodeMetrics = ReturnType<typeof createNodeMetrics>;
