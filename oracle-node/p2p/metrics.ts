import { Counter, Histogram, type Registry } from "prom-client";

export interface P2PMetrics {
  gossipValidated: Counter<"topic" | "result">;
  gossipPublished: Counter<"topic">;
  validationSeconds: Histogram<"topic">;
  refusedConnections: Counter<"reason">;
  graylistDisconnects: Counter;
}

/** Vigil's own gossip metrics (libp2p's come through @libp2p/prometheus-metrics into the same registry). */
export function createP2PMetrics(registry: Registry): P2PMetrics {
  return {
    gossipValidated: new Counter({
      name: "vigil_p2p_gossip_validated_total",
      help: "Gossip messages validated, by topic and result (accept/ignore/reject)",
      labelNames: ["topic", "result"],
      registers: [registry],
    }),
    gossipPublished: new Counter({
      name: "vigil_p2p_gossip_published_total",
      help: "Gossip messages published by this node",
      labelNames: ["topic"],
      registers: [registry],
    }),
    validationSeconds: new Histogram({
      name: "vigil_p2p_gossip_validation_seconds",
      help: "Time to validate one gossip message",
      labelNames: ["topic"],
      buckets: [0.0001, 0.001, 0.01, 0.1, 1],
      registers: [registry],
    }),
    refusedConnections: new Counter({
      name: "vigil_p2p_refused_connections_total",
      help: "Connections and dials the gater refused: unregistered peers, graylisted peers cooling off",
      labelNames: ["reason"],
      registers: [registry],
    }),
    graylistDisconnects: new Counter({
      name: "vigil_p2p_graylist_disconnects_total",
      help: "Peers disconnected because gossipsub graylisted them (score below the graylist threshold)",
      registers: [registry],
    }),
  };
}
