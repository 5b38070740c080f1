import type { PrivateKey } from "@libp2p/interface";

/** Message classes with their own topic. Other modules may add generic ones via `extraTopics`. */
export const TOPIC_KINDS = [
  "attestations",
  "challenges",
  "observations",
  "agreement",
  "evidence",
  "gateways",
] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

export interface TopicLimits {
  /** Max payload bytes (the envelope adds ~110 bytes). */
  maxBytes: number;
}

export interface P2POptions {
  /** e.g. ["/ip4/0.0.0.0/tcp/9000"]; use port 0 in tests. */
  listen: string[];
  /** Multiaddrs with /p2p/<id> dialled at start and kept (the bootstrap list). */
  bootstrap: string[];
  /** mDNS discovery on the LAN (off in tests to keep them hermetic). */
  mdns: boolean;
  /** Topics are `/vigil/<namespace>/<kind>/1`; the namespace separates deployments (e.g. chain id). */
  namespace: string;
  /** Extra topic kinds with their payload limits (e.g. CRE consensus). */
  extraTopics: Record<string, TopicLimits>;
  /** Per-kind payload limits, merged over DEFAULT_TOPIC_LIMITS. */
  topicLimits: Partial<Record<TopicKind, TopicLimits>>;
  /**
   * Accept envelopes signed at most this long ago or ahead; older ones are replays and are REJECTED.
   * Equals gossipsub's seen-cache TTL so a duplicate is caught either by the cache or by this window.
   */
  maxMessageAgeMs: number;
  /** Gossipsub heartbeat; tests use ~100 ms so the mesh forms in well under a second. */
  heartbeatIntervalMs: number;
  /**
   * Inbound connections accepted per remote host per second (libp2p's `inboundConnectionThreshold`,
   * default 5 there). Several oracles may share one host (a devnet, a small operator, loopback
   * tests): with libp2p's 5, the sixth dial from one host within a second is refused and the dialer
   * sees `connect ECONNRESET` (seen with 7 and 16 nodes on loopback). The gater still refuses
   * unregistered peers right after the Noise handshake.
   */
  inboundConnectionsPerHostPerSecond: number;
  /**
   * Gossipsub mesh degree D (Dlo = D - 1, Dhi = D + 1). Publishing floods to every connected oracle
   * anyway; the mesh only forwards, to reach oracles without a direct link. With gossipsub's default
   * of 6, every node received each observation (up to megabytes) 7.4 times on average in a 16-node
   * loopback network, and 3.3 times with 3: IDONTWANT rarely wins the race against the forwards.
   */
  meshDegree: number;
  /**
   * How long a peer that gossipsub graylisted (score below the graylist threshold, from rejected
   * gossip) stays disconnected: neither dialled nor accepted. At the invalid-message decay below
   * (1 % a second), a peer three rejects below the threshold needs ~6 s to climb back, ten ~2 min.
   */
  graylistCooldownMs: number;
  /** Path of the persistent Ed25519 peer key (protobuf, created on first start). Unset: ephemeral key. */
  peerKeyFile?: string;
  /** The peer key itself, already loaded (the node decrypts its keystore); wins over `peerKeyFile`. */
  privateKey?: PrivateKey;
}

// Sizes: an observation is ~43 bytes per device; 100k devices observed by one node is ~4.3 MB.
export const DEFAULT_TOPIC_LIMITS: Record<TopicKind, TopicLimits> = {
  attestations: { maxBytes: 4 * 1024 },
  challenges: { maxBytes: 256 * 1024 },
  observations: { maxBytes: 8 * 1024 * 1024 },
  agreement: { maxBytes: 1024 * 1024 },
  evidence: { maxBytes: 1024 * 1024 },
  // A signed gateway record is at most ~1.2 KiB (attestation/gatewayRecord.ts, MAX_GATEWAY_RECORD_BYTES).
  gateways: { maxBytes: 2 * 1024 },
};

export const defaultP2POptions: P2POptions = {
  listen: ["/ip4/0.0.0.0/tcp/9000"],
  bootstrap: [],
  mdns: true,
  namespace: "devnet",
  extraTopics: {},
  topicLimits: {},
  maxMessageAgeMs: 120_000,
  heartbeatIntervalMs: 700,
  inboundConnectionsPerHostPerSecond: 64,
  meshDegree: 3,
  graylistCooldownMs: 60_000,
};
