import { type P2P, Validation } from "../p2p/index";
import { CreHostError } from "./errors";
import type { DonMessage, DonMessageKind, DonTransport } from "./transport";

/** The gossip topic kind CRE consensus uses; pass it in the node's p2p `extraTopics`. */
export const CRE_TOPIC_KIND = "cre";
/**
 * Payload limit of the CRE topic. The largest message is a `Simple` observation, bounded by the
 * workflow's capability response limit in practice; reports are at most 5 KiB plus a 109-byte header.
 */
export const CRE_TOPIC_LIMITS = { maxBytes: 1024 * 1024 };

const KINDS: DonMessageKind[] = ["observation", "outcome", "proposal", "signature"];

/** Frame: kind (1 byte) ‖ round length (2 bytes, big endian) ‖ round (UTF-8) ‖ payload. */
export function encodeDonMessage(m: Omit<DonMessage, "from">): Uint8Array {
  const round = new TextEncoder().encode(m.round);
  if (round.length > 0xffff) throw new CreHostError("CONSENSUS_FAILED", "consensus round id too long");
  const out = new Uint8Array(3 + round.length + m.payload.length);
  out[0] = KINDS.indexOf(m.kind);
  out[1] = round.length >> 8;
  out[2] = round.length & 0xff;
  out.set(round, 3);
  out.set(m.payload, 3 + round.length);
  return out;
}

export function decodeDonMessage(bytes: Uint8Array): Omit<DonMessage, "from"> | undefined {
  if (bytes.length < 3) return undefined;
  const kind = KINDS[bytes[0]!];
  const len = (bytes[1]! << 8) | bytes[2]!;
  if (!kind || bytes.length < 3 + len) return undefined;
  return {
    kind,
    round: new TextDecoder().decode(bytes.subarray(3, 3 + len)),
    // A copy, never a view: gossip hands over Node Buffers, whose slice() shares memory.
    payload: new Uint8Array(bytes.subarray(3 + len)),
  };
}

export interface Libp2pDonTransportOptions {
  p2p: P2P;
  /** The DON's members as libp2p peer ids, in DON order (the index is the member index). */
  peerIds: string[];
}

/**
 * A `DonTransport` over the node's libp2p gossip, on its own topic. The p2p layer has already
 * checked each envelope's signature against the registered operators; this transport also rejects
 * (and so down-scores) a signer that is not a member of this DON and any frame it cannot decode.
 */
export function createLibp2pDonTransport(opts: Libp2pDonTransportOptions): DonTransport {
  const self = opts.peerIds.indexOf(opts.p2p.peerId);
  if (self < 0) {
    throw new CreHostError("INVALID_CONFIG", "this node's peer id is not a member of the DON", {
      peerId: opts.p2p.peerId,
    });
  }
  const index = new Map(opts.peerIds.map((id, i) => [id, i]));
  const topic = opts.p2p.topic(CRE_TOPIC_KIND);
  const handlers = new Set<(m: DonMessage) => void>();
  const unsubscribe = opts.p2p.subscribe(
    topic,
    (msg) => (index.has(msg.from) && decodeDonMessage(msg.data) ? Validation.Accept : Validation.Reject),
    (msg) => {
      const m = decodeDonMessage(msg.data);
      const from = index.get(msg.from);
      if (!m || from === undefined || from === self) return;
      for (const h of handlers) h({ ...m, from });
    },
  );
  return {
    self,
    async broadcast(message) {
      try {
        await opts.p2p.publish(topic, encodeDonMessage(message));
      } catch (cause) {
        // With no peer subscribed yet gossipsub refuses to publish; the round then times out,
        // which is the honest outcome for a node that cannot reach its DON.
        throw new CreHostError(
          "CONSENSUS_FAILED",
          `cannot gossip consensus message: ${(cause as Error).message}`,
          {
            round: message.round,
          },
        );
      }
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async close() {
      handlers.clear();
      unsubscribe();
    },
  };
}
