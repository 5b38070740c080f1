import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { AgreementStats } from "./interface";

export interface AgreementMetrics {
  epochSeconds: Histogram;
  views: Counter;
  equivocations: Counter<"kind">;
  messages: Counter<"type" | "result">;
  currentView: Gauge;
  ignored: Counter<"topic" | "reason">;
  bufferedBytes: Gauge;
  retainedBytes: Gauge;
}

/** `stats` is read when the registry is scraped (the byte gauges are computed, not book-kept). */
export function createAgreementMetrics(registry: Registry, stats: () => AgreementStats): AgreementMetrics {
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
    ignored: new Counter({
      name: "vigil_agreement_gossip_ignored_total",
      help: "Gossip the agreement neither stored nor relayed, by topic and reason",
      labelNames: ["topic", "reason"],
      registers: [registry],
    }),
    bufferedBytes: new Gauge({
      name: "vigil_agreement_buffered_bytes",
      help: "Envelope bytes of agreement messages buffered for epochs not started yet",
      registers: [registry],
      collect() {
        this.set(stats().bufferedBytes);
      },
    }),
    retainedBytes: new Gauge({
      name: "vigil_agreement_retained_bytes",
      help: "Bytes of proposals, prevotes, precommits and value refs kept by running epochs",
      registers: [registry],
      collect() {
        this.set(stats().retainedBytes);
      },
    }),
  };
}
