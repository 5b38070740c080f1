import { createHash } from "node:crypto";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { bootstrap } from "@libp2p/bootstrap";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { type GossipSub, gossipsub, type TopicValidatorFn, TopicValidatorResult } from "@libp2p/gossipsub";
import {
  createPeerScoreParams,
  createPeerScoreThresholds,
  createTopicScoreParams,
} from "@libp2p/gossipsub/score";
import { identify } from "@libp2p/identify";
import { KEEP_ALIVE, type Libp2p, type PeerId } from "@libp2p/interface";
import { mdns } from "@libp2p/mdns";
import { peerIdFromString } from "@libp2p/peer-id";
import { prometheusMetrics } from "@libp2p/prometheus-metrics";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { PeerAllowList } from "./allowList";
import { EnvelopeSigner, openEnvelope } from "./envelope";
import { P2PError } from "./errors";
import { createGossipsubMetricsRegister } from "./gossipsubMetrics";
import {
  type GossipMessage,
  type MessageHandler,
  type P2P,
  type PeerInfo,
  type TopicValidator,
  Validation,
} from "./interface";
import { createP2PMetrics, type P2PMetrics } from "./metrics";
import {
  DEFAULT_TOPIC_LIMITS,
  defaultP2POptions,
  type P2POptions,
  TOPIC_KINDS,
  type TopicLimits,
} from "./options";
import { loadOrCreatePeerKey } from "./peerKey";

export interface P2PModules {
  logger: Logger;
  /** Registry for Vigil's and libp2p's metrics; omit to run without metrics (tests, benchmarks). */
  metrics?: Registry;
  allowList: PeerAllowList;
}

type Services = { identify: ReturnType<ReturnType<typeof identify>>; pubsub: GossipSub };

const TO_GOSSIPSUB: Record<Validation, TopicValidatorResult> = {
  [Validation.Accept]: TopicValidatorResult.Accept,
  [Validation.Ignore]: TopicValidatorResult.Ignore,
  [Validation.Reject]: TopicValidatorResult.Reject,
};

/** Builds and starts the node's libp2p host with the oracle gossip topics. */
export async function createP2P(options: Partial<P2POptions>, modules: P2PModules): Promise<P2P> {
  const opts: P2POptions = { ...defaultP2POptions, ...options };
  if (!Number.isInteger(opts.meshDegree) || opts.meshDegree < 1)
    throw new P2PError("P2P_BAD_OPTIONS", `meshDegree must be a positive integer, got ${opts.meshDegree}`);
  const log = modules.logger.child({ module: "p2p" });
  const { allowList } = modules;
  const privateKey =
    opts.privateKey ??
    (opts.peerKeyFile ? await loadOrCreatePeerKey(opts.peerKeyFile) : await generateKeyPair("Ed25519"));
  const signer = new EnvelopeSigner(privateKey);

  const topicName = (kind: string) => `/vigil/${opts.namespace}/${kind}/1`;
  const limits = new Map<string, TopicLimits>();
  for (const kind of TOPIC_KINDS)
    limits.set(topicName(kind), opts.topicLimits[kind] ?? DEFAULT_TOPIC_LIMITS[kind]);
  for (const [kind, l] of Object.entries(opts.extraTopics)) limits.set(topicName(kind), l);
  const maxPayload = Math.max(...[...limits.values()].map((l) => l.maxBytes));
  // Envelope header (105 bytes) plus protobuf framing headroom.
  const maxFrame = maxPayload + 4096;

  // Every REJECT costs the propagation source; a handful of invalid messages takes a peer below the
  // graylist threshold (-80 by default thresholds scaled below), after which its RPCs are ignored.
  const topicScore = createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0,
    firstMessageDeliveriesWeight: 0,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: 0.99,
  });
  const scoreParams = createPeerScoreParams({
    topics: Object.fromEntries([...limits.keys()].map((t) => [t, topicScore])),
    topicScoreCap: 100,
    IPColocationFactorWeight: 0, // every oracle may sit on one host in tests and small deployments
    appSpecificScore: () => 0,
  });

  // Gossipsub's defaults (gossip -10, publish -50, graylist -80), named so the node can act on them.
  const scoreThresholds = createPeerScoreThresholds();

  const metrics: P2PMetrics | undefined = modules.metrics ? createP2PMetrics(modules.metrics) : undefined;
  // Bounded: anyone can make up peer ids. An unregistered peer is logged once (while it stays in the
  // cache); a graylisted one is refused both ways until its entry expires.
  const refusedLogged = new LRUCache<string, true>({ max: 4096 });
  const coolingOff = new LRUCache<string, true>({ max: 4096, ttl: opts.graylistCooldownMs });
  const refuse = (peer: PeerId, addr?: string): boolean => {
    const id = peer.toString();
    if (coolingOff.has(id)) {
      metrics?.refusedConnections.inc({ reason: "graylisted" });
      return true;
    }
    if (allowList.has(id)) return false;
    metrics?.refusedConnections.inc({ reason: "unregistered" });
    // Our own refused dials (mDNS, a stale bootstrap entry) carry no address and are not logged.
    if (addr !== undefined && !refusedLogged.has(id)) {
      refusedLogged.set(id, true);
      log.debug({ peer: id, addr }, "refused a peer that is not a registered operator");
    }
    return true;
  };

  const peerDiscovery = [
    ...(opts.bootstrap.length > 0 ? [bootstrap({ list: opts.bootstrap })] : []),
    ...(opts.mdns ? [mdns()] : []),
  ];

  const libp2p: Libp2p<Services> = await createLibp2p({
    privateKey,
    addresses: { listen: opts.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionManager: { inboundConnectionThreshold: opts.inboundConnectionsPerHostPerSecond },
    connectionGater: {
      // Only registered oracle operators, and none cooling off after a graylisting: checked on the
      // encrypted (authenticated) peer id both ways.
      denyDialPeer: (peer: PeerId) => refuse(peer),
      denyInboundEncryptedConnection: (peer, maConn) => refuse(peer, maConn.remoteAddr.toString()),
      denyOutboundEncryptedConnection: (peer, maConn) => refuse(peer, maConn.remoteAddr.toString()),
      // Loopback and private addresses are how oracles reach each other in tests and private networks.
      denyDialMultiaddr: () => false,
    },
    // Large observations can hold a connection's stream for seconds on a busy host; a missed ping
    // must not tear down the oracle mesh (connections to registered peers are kept alive instead).
    connectionMonitor: { abortConnectionOnPingFailure: false },
    metrics: modules.metrics
      ? prometheusMetrics({
          registry: modules.metrics,
          preserveExistingMetrics: true,
          collectDefaultMetrics: false,
        })
      : undefined,
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: "StrictNoSign",
        allowedTopics: [...limits.keys()],
        // Content-addressed ids: the same payload relayed twice is one message.
        msgIdFn: (msg) => createHash("sha256").update(msg.data).digest(),
        maxInboundDataLength: maxFrame,
        maxOutboundBufferSize: 64 * maxFrame,
        heartbeatInterval: opts.heartbeatIntervalMs,
        seenTTL: opts.maxMessageAgeMs,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        scoreParams,
        scoreThresholds,
        emitSelf: false,
        floodPublish: true,
        D: opts.meshDegree,
        Dlo: Math.max(1, opts.meshDegree - 1),
        Dhi: opts.meshDegree + 1,
        Dout: Math.max(0, Math.min(2, Math.floor(opts.meshDegree / 2), opts.meshDegree - 2)),
        directPeers: [],
        ...(modules.metrics
          ? {
              metricsRegister: createGossipsubMetricsRegister(modules.metrics),
              metricsTopicStrToLabel: new Map([...limits.keys()].map((t) => [t, t.split("/")[3] ?? t])),
            }
          : {}),
      }),
    },
  });
  const pubsub = libp2p.services.pubsub;

  // Registered oracles are tagged keep-alive: libp2p's reconnect queue redials them after a drop.
  libp2p.addEventListener("peer:connect", (evt) => {
    if (allowList.has(evt.detail.toString()))
      void libp2p.peerStore.merge(evt.detail, { tags: { [KEEP_ALIVE]: { value: 1 } } }).catch(() => {});
  });

  // Gossipsub ignores a graylisted peer's RPCs but keeps its connection (and libp2p redials a
  // keep-alive peer): hang up on it, refuse it while it cools off, then dial it again if it is still
  // registered. Its score is kept across the disconnection and decays meanwhile; one still below the
  // threshold when it returns is hung up on again at the next heartbeat.
  const redials = new Set<ReturnType<typeof setTimeout>>();
  // The implementation's public `getScore`, missing from the exported GossipSub interface.
  const scores = pubsub as unknown as { getScore(id: string): number };
  pubsub.addEventListener("gossipsub:heartbeat", () => {
    for (const peer of libp2p.getPeers()) {
      const id = peer.toString();
      const score = scores.getScore(id);
      if (score >= scoreThresholds.graylistThreshold || coolingOff.has(id)) continue;
      coolingOff.set(id, true);
      metrics?.graylistDisconnects.inc();
      log.warn(
        { peer: id, score, cooldownMs: opts.graylistCooldownMs },
        "disconnecting a graylisted gossip peer",
      );
      void libp2p.hangUp(peer).catch((err: unknown) => log.debug({ err, peer: id }, "hang-up failed"));
      const timer = setTimeout(() => {
        redials.delete(timer);
        coolingOff.delete(id);
        if (!stopped && allowList.has(id))
          libp2p
            .dial(peer)
            .catch((err: unknown) => log.debug({ err, peer: id }, "redial after cool-off failed"));
      }, opts.graylistCooldownMs);
      timer.unref();
      redials.add(timer);
    }
  });

  allowList.onChange((removed) => {
    for (const id of removed) {
      // Logged again if it ever comes back unregistered.
      refusedLogged.delete(id);
      void libp2p.peerStore
        .merge(peerIdFromString(id), { tags: { [KEEP_ALIVE]: undefined } })
        .catch(() => {});
      for (const conn of libp2p.getConnections())
        if (conn.remotePeer.toString() === id)
          void conn.close().catch(() => conn.abort(new Error("removed")));
    }
  });

  const handlers = new Map<string, MessageHandler>();
  // Messages accepted by validation wait here for their handler (gossipsub emits `message` after ACCEPT).
  const accepted = new Map<string, GossipMessage>();
  let stopped = false;

  function envelopeKey(topic: string, data: Uint8Array): string {
    return `${topic}:${createHash("sha256").update(data).digest("base64")}`;
  }

  pubsub.addEventListener("message", (evt) => {
    const msg = evt.detail;
    const key = envelopeKey(msg.topic, msg.data);
    const gm = accepted.get(key);
    accepted.delete(key);
    const handler = handlers.get(msg.topic);
    if (!gm || !handler) return;
    Promise.resolve()
      .then(() => handler(gm))
      .catch((err: unknown) => log.error({ err, topic: msg.topic, from: gm.from }, "gossip handler failed"));
  });

  function seal(topic: string, data: Uint8Array): Uint8Array {
    const limit = limits.get(topic);
    if (!limit) throw new P2PError("P2P_UNKNOWN_TOPIC", `unknown topic ${topic}`, { topic });
    if (data.length > limit.maxBytes)
      throw new P2PError(
        "P2P_MESSAGE_TOO_LARGE",
        `payload of ${data.length} bytes exceeds ${limit.maxBytes}`,
        {
          topic,
          size: data.length,
        },
      );
    return signer.seal(topic, data);
  }

  async function publishSealed(topic: string, envelope: Uint8Array): Promise<number> {
    if (stopped) throw new P2PError("P2P_STOPPED", "p2p is stopped");
    if (!limits.has(topic)) throw new P2PError("P2P_UNKNOWN_TOPIC", `unknown topic ${topic}`, { topic });
    const res = await pubsub.publish(topic, envelope);
    metrics?.gossipPublished.inc({ topic });
    return res.recipients.length;
  }

  await libp2p.start();
  log.info({ peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(String) }, "p2p started");

  return {
    peerId: libp2p.peerId.toString(),
    libp2p,
    topic: (kind) => {
      const t = topicName(kind);
      if (!limits.has(t)) throw new P2PError("P2P_UNKNOWN_TOPIC", `unknown topic kind ${kind}`, { kind });
      return t;
    },

    seal,
    publishSealed,
    async publish(topic, data) {
      return publishSealed(topic, seal(topic, data));
    },
    subscribe(topic, validator: TopicValidator, handler) {
      const limit = limits.get(topic);
      if (!limit) throw new P2PError("P2P_UNKNOWN_TOPIC", `unknown topic ${topic}`, { topic });
      if (handlers.has(topic)) throw new P2PError("P2P_ALREADY_SUBSCRIBED", `already subscribed to ${topic}`);
      const validate: TopicValidatorFn = async (propagationSource, msg) => {
        const started = performance.now();
        const result = await validateOne(propagationSource, msg.data);
        metrics?.gossipValidated.inc({ topic, result });
        metrics?.validationSeconds.observe({ topic }, (performance.now() - started) / 1000);
        if (result !== Validation.Accept)
          log.debug({ topic, from: propagationSource.toString(), result }, "gossip not accepted");
        return TO_GOSSIPSUB[result];
      };
      const validateOne = async (propagationSource: PeerId, envelope: Uint8Array): Promise<Validation> => {
        if (envelope.length > limit.maxBytes + 105) return Validation.Reject;
        let opened: ReturnType<typeof openEnvelope>;
        try {
          opened = openEnvelope(topic, envelope);
        } catch {
          return Validation.Reject;
        }
        if (!allowList.has(opened.from)) return Validation.Reject;
        if (Math.abs(Date.now() - opened.timestampMs) > opts.maxMessageAgeMs) return Validation.Reject;
        const gm: GossipMessage = {
          topic,
          data: opened.payload,
          from: opened.from,
          propagationSource: propagationSource.toString(),
          timestampMs: opened.timestampMs,
          envelope,
        };
        let result: Validation;
        try {
          result = await validator(gm);
        } catch (err) {
          log.debug({ err, topic }, "validator threw; rejecting");
          result = Validation.Reject;
        }
        if (result === Validation.Accept) {
          // Bounded: entries leave on delivery; cap in case gossipsub drops one after validation.
          if (accepted.size > 10_000) accepted.clear();
          accepted.set(envelopeKey(topic, envelope), gm);
        }
        return result;
      };
      handlers.set(topic, handler);
      pubsub.topicValidators.set(topic, validate);
      pubsub.subscribe(topic);
      return () => {
        pubsub.unsubscribe(topic);
        pubsub.topicValidators.delete(topic);
        handlers.delete(topic);
      };
    },

    peers(): PeerInfo[] {
      return libp2p.getPeers().map((p) => ({
        peerId: p.toString(),
        addrs: libp2p.getConnections(p).map((c) => c.remoteAddr.toString()),
        score: scores.getScore(p.toString()),
      }));
    },

    addresses: () => libp2p.getMultiaddrs().map(String),

    async dial(addr) {
      await libp2p.dial(multiaddr(addr));
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of redials) clearTimeout(timer);
      redials.clear();
      handlers.clear();
      accepted.clear();
      await libp2p.stop();
      log.info("p2p stopped");
    },
  };
}
