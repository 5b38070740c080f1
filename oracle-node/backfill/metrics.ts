import { Counter, type Registry } from "prom-client";

export interface BackfillMetrics {
  /** Epochs this node tried to fill from peers, by outcome (filled, or the error code). */
  epochs: Counter<"outcome">;
  /** Answers received from peers, by outcome (ok, or why they were refused). */
  answers: Counter<"outcome">;
  /** Requests this node served to peers, by outcome (served, unknown, busy, bad_request). */
  served: Counter<"outcome">;
}

export function createBackfillMetrics(registry: Registry): BackfillMetrics {
  return {
    epochs: new Counter({
      name: "vigil_backfill_epochs_total",
      help: "Epochs this node tried to fill in from its peers (missed while it was down), by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    answers: new Counter({
      name: "vigil_backfill_answers_total",
      help: "Backfill answers received from peers, by outcome (ok, or the check they failed)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    served: new Counter({
      name: "vigil_backfill_served_total",
      help: "Backfill requests this node served to peers, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
  };
}
