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

export interface Libp2pDonRouter {
  /**
   * A transport for one DON configuration. `scope` names the configuration (see `donConfigDigest`):
   * its frames carry it, so members of two configurations of one DON never meet in one round while
   * nodes move from one to the next. One transport per scope at a time.
   */
  transport(o: { peerIds: string[]; scope: string }): DonTransport;
  close(): void;
}

/** Separates a configuration's scope from the round id on the wire; round ids never contain it. */
const SCOPE_SEPARATOR = "|";

/**
 * The node's one subscription to the CRE gossip topic, shared by the transports of the DON
 * configurations it runs (during a switch, the old one drains while the new one starts). The p2p
 * layer has already checked each envelope's signature against the registered operators. A frame of
 * a configuration this node runs is accepted only from one of its members (else rejected, so
 * down-scored); a frame of a configuration it does not run (a peer a poll ahead or behind on the
 * forwarder's `ConfigSet`) is ignored, not held against the peer.
 */
export function createLibp2pDonRouter(opts: { p2p: P2P }): Libp2pDonRouter {
  const topic = opts.p2p.topic(CRE_TOPIC_KIND);
  interface Scoped {
    index: Map<string, number>;
    self: number;
    handlers: Set<(m: DonMessage) => void>;
  }
  const scopes = new Map<string, Scoped>();
  const route = (bytes: Uint8Array, from: string) => {
    const m = decodeDonMessage(bytes);
    if (!m) return { validation: Validation.Reject };
    const cut = m.round.indexOf(SCOPE_SEPARATOR);
    const scope = cut < 0 ? "" : m.round.slice(0, cut);
    const scoped = scopes.get(scope);
    if (!scoped) return { validation: Validation.Ignore };
    const index = scoped.index.get(from);
    if (index === undefined) return { validation: Validation.Reject };
    return {
      validation: Validation.Accept,
      deliver: () => {
        if (index === scoped.self) return;
        const message = { ...m, round: cut < 0 ? m.round : m.round.slice(cut + 1), from: index };
        for (const h of scoped.handlers) h(message);
      },
    };
  };
  const unsubscribe = opts.p2p.subscribe(
    topic,
    (msg) => route(msg.data, msg.from).validation,
    (msg) => route(msg.data, msg.from).deliver?.(),
  );
  return {
    transport({ peerIds, scope }) {
      if (scope.includes(SCOPE_SEPARATOR))
        throw new CreHostError("INVALID_CONFIG", `a DON scope may not contain "${SCOPE_SEPARATOR}"`);
      if (scopes.has(scope))
        throw new CreHostError("INVALID_CONFIG", `a transport for DON scope ${scope} is open already`);
      const self = peerIds.indexOf(opts.p2p.peerId);
      if (self < 0) {
        throw new CreHostError("INVALID_CONFIG", "this node's peer id is not a member of the DON", {
          peerId: opts.p2p.peerId,
        });
      }
      const scoped: Scoped = { index: new Map(peerIds.map((id, i) => [id, i])), self, handlers: new Set() };
      scopes.set(scope, scoped);
      const wireRound = (round: string) => (scope ? `${scope}${SCOPE_SEPARATOR}${round}` : round);
      return {
        self,
        async broadcast(message) {
          try {
            await opts.p2p.publish(topic, encodeDonMessage({ ...message, round: wireRound(message.round) }));
          } catch (cause) {
            // With no peer subscribed yet gossipsub refuses to publish; the round then times out,
            // which is the honest outcome for a node that cannot reach its DON.
            throw new CreHostError(
              "CONSENSUS_FAILED",
              `cannot gossip consensus message: ${(cause as Error).message}`,
              { round: message.round },
            );
          }
        },
        subscribe(handler) {
          scoped.handlers.add(handler);
          return () => scoped.handlers.delete(handler);
        },
        async close() {
          scoped.handlers.clear();
          if (scopes.get(scope) === scoped) scopes.delete(scope);
        },
      };
    },
    close() {
      scopes.clear();
      unsubscribe();
    },
  };
}

/**
 * A `DonTransport` over the node's libp2p gossip, on its own topic, for a DON whose membership never
 * changes (tests, tools); a node follows its DON's configurations through `createLibp2pDonRouter`.
 * This transport rejects (and so down-scores) a signer that is not a member and any frame it cannot decode.
 */
export function createLibp2pDonTransport(opts: Libp2pDonTransportOptions): DonTransport {
  const router = createLibp2pDonRouter({ p2p: opts.p2p });
  let transport: DonTransport;
  try {
    transport = router.transport({ peerIds: opts.peerIds, scope: "" });
  } catch (error) {
    router.close();
    throw error;
  }
  return {
    self: transport.self,
    broadcast: (m) => transport.broadcast(m),
    subscribe: (h) => transport.subscribe(h),
    async close() {
      await transport.close();
      router.close();
    },
  };
}
