import { Counter, Histogram, type Registry } from "prom-client";

export interface CreHostMetrics {
  executions: Counter<"workflow" | "outcome">;
  executionDuration: Histogram<"workflow">;
  capabilityCalls: Counter<"capability" | "method" | "outcome">;
}

const cache = new WeakMap<Registry, CreHostMetrics>();

/**
 * The CRE host's metrics on the node's registry. Every host of a node (one per workflow) shares
 * them, so a second call with the same registry returns the same metrics.
 */
export function createCreHostMetrics(registry: Registry): CreHostMetrics {
  const known = cache.get(registry);
  if (known) return known;
  const registers = [registry];
  const metrics: CreHostMetrics = {
    executions: new Counter({
      name: "vigil_cre_executions_total",
      help: "Workflow executions, by workflow name and outcome (ok, error)",
      labelNames: ["workflow", "outcome"] as const,
      registers,
    }),
    executionDuration: new Histogram({
      name: "vigil_cre_execution_duration_seconds",
      help: "Trigger to workflow response, including consensus and chain writes",
      labelNames: ["workflow"] as const,
      buckets: [0.01, 0.05, 0.1, 0.3, 1, 3, 10, 60, 300],
      registers,
    }),
    capabilityCalls: new Counter({
      name: "vigil_cre_capability_calls_total",
      help: "Capability calls from workflows, by capability id, method and outcome (ok, error, not_found)",
      labelNames: ["capability", "method", "outcome"] as const,
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
