import type { Libp2p } from "@libp2p/interface";

/** Explicit gossip validation outcome; REJECT lowers the propagation source's gossipsub score. */
export enum Validation {
  Accept = "accept",
  Ignore = "ignore",
  Reject = "reject",
}

/** A gossip message after its envelope (size, app signature, freshness, sender allow-list) checked out. */
export interface GossipMessage {
  topic: string;
  /** The application payload (what `publish` was given). */
  data: Uint8Array;
  /** Peer id of the signer (the original sender, not the relaying peer). */
  from: string;
  /** Peer that forwarded it to us. */
  propagationSource: string;
  /** Sender's clock at signing, unix ms. */
  timestampMs: number;
  /** The full signed envelope bytes, kept as evidence (verifiable by anyone with `openEnvelope`). */
  envelope: Uint8Array;
}

/** Payload-level validation; runs after the envelope checks. Throwing counts as REJECT. */
export type TopicValidator = (msg: GossipMessage) => Validation | Promise<Validation>;
export type MessageHandler = (msg: GossipMessage) => void | Promise<void>;

export interface PeerInfo {
  peerId: string;
  addrs: string[];
  score: number;
}

export interface P2P {
  readonly peerId: string;
  /** The underlying node, for metrics, dialing in tests and the CRE host. Prefer the typed API. */
  readonly libp2p: Libp2p;
  /** Full topic name of a message class, e.g. `topic("observations")`. */
  topic(kind: string): string;
  /** Signs `data` with the peer key and gossips it. Resolves with the number of peers it went to. */
  publish(topic: string, data: Uint8Array): Promise<number>;
  /** Signs `data` for `topic` without sending it (the envelope is what receivers see). */
  seal(topic: string, data: Uint8Array): Uint8Array;
  /** Gossips an envelope from `seal` (e.g. to keep one's own signed message as evidence or justification). */
  publishSealed(topic: string, envelope: Uint8Array): Promise<number>;
  /** One validator+handler per topic; returns an unsubscribe function. */
  subscribe(topic: string, validator: TopicValidator, handler: MessageHandler): () => void;
  peers(): PeerInfo[];
  /** Multiaddrs we listen on, with `/p2p/<id>`. */
  addresses(): string[];
  /** Dial a peer (tests and static peers). */
  dial(addr: string): Promise<void>;
  stop(): Promise<void>;
}
