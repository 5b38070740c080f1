import type { P2P } from "../p2p/index";

type GossipSide = Pick<P2P, "topic" | "publish" | "subscribe">;

/** Tag byte of fraud evidence on the `challenges` topic (oracle-node/intake/gossipCodec.ts). */
const EVIDENCE_TAG = 2;

/**
 * Wraps the p2p handle the intake gets so the node learns of every fraud evidence bundle the intake
 * gossips (proven here) or accepts from gossip (proven elsewhere), without the intake knowing about
 * CRE. `onEvidence` gets the bundle's canonical bytes; it must verify them itself: it also sees
 * bundles the intake later ignores (e.g. for a closed epoch).
 */
export function tapFraudEvidence(p2p: GossipSide, onEvidence: (evidence: Uint8Array) => void): GossipSide {
  const challenges = p2p.topic("challenges");
  const tap = (topic: string, data: Uint8Array) => {
    if (topic === challenges && data.length > 1 && data[0] === EVIDENCE_TAG) onEvidence(data.slice(1));
  };
  return {
    topic: (kind) => p2p.topic(kind),
    publish: (topic, data) => {
      // Before publishing: with no peer reachable the publish throws, and the slash should still run.
      tap(topic, data);
      return p2p.publish(topic, data);
    },
    subscribe: (topic, validator, handler) =>
      p2p.subscribe(topic, validator, (msg) => {
        handler(msg);
        tap(topic, msg.data);
      }),
  };
}
