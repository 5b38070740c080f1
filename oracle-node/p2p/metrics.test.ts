import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { PeerAllowList } from "./allowList";
import { createP2P } from "./createP2P";

describe("p2p metrics", () => {
  it("registers libp2p's and Vigil's gossip metrics in the given registry", async () => {
    const registry = new Registry();
    const p2p = await createP2P(
      { listen: ["/ip4/127.0.0.1/tcp/0"], mdns: false, namespace: "m" },
      { logger: pino({ level: "silent" }), allowList: new PeerAllowList(), metrics: registry },
    );
    try {
      await p2p.publish(p2p.topic("evidence"), new Uint8Array([1]));
      const text = await registry.metrics();
      expect(text).toMatch(/^libp2p_/m);
      expect(text).toMatch(/^gossipsub_/m);
      expect(text).toMatch(/vigil_p2p_gossip_published_total\{topic="\/vigil\/m\/evidence\/1"\} 1/);
    } finally {
      await p2p.stop();
    }
  });
});
