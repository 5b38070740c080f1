import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export interface AgreementMetrics {
  epochSeconds: Histogram;
  views: Counter;
  equivocations: Counter<"kind">;
  messages: Counter<"type" | "result">;
  currentView: Gauge;
}

export function createAgreementMetrics(registry: Registry): AgreementMetrics {
  return {
    epochSeconds: new Histogram({
      name: "vigil_agreement_epoch_seconds",
      help: "Time from epoch close (runEpoch) to a certificate of 2f+1 result votes",
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    views: new Counter({
      name: "vigil_agreement_views_total",
      help: "Consensus views started (view changes show up as more than one per epoch)",
      registers: [registry],
    }),
    equivocations: new Counter({
      name: "vigil_agreement_equivocations_total",
      help: "Equivocation evidence recorded, by message kind",
      labelNames: ["kind"],
      registers: [registry],
    }),
    messages: new Counter({
      name: "vigil_agreement_messages_total",
      help: "Agreement messages received, by type and validation result",
      labelNames: ["type", "result"],
      registers: [registry],
    }),
    currentView: new Gauge({
      name: "vigil_agreement_current_view",
      help: "View of the epoch being agreed",
      registers: [registry],
    }),
  };
}
