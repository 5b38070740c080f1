import { createHash } from "node:crypto";
import type { Hex } from "viem";
import { type GossipMessage, openEnvelope, Validation } from "../p2p/index";
import { EpochConsensus } from "./epochConsensus";
import { AgreementError } from "./errors";
import type { Agreement, AgreementModules, AgreementStats } from "./interface";
import { type ConsensusMessage, decodeMessage } from "./messages";
import { type AgreementMetrics, createAgreementMetrics } from "./metrics";
import { decodeObservation, encodeObservation, observationHash, RELAY_TAG } from "./observationCodec";
import { type AgreementOptions, defaultAgreementOptions } from "./options";
import { recoverResultVoteSigner } from "./resultVote";
import type { EpochCertificate, EpochContext, ObservationSet } from "./types";

/** An observer may publish at most this many distinct observations per epoch (2 already prove equivocation). */
const MAX_OBSERVATIONS_PER_OBSERVER = 2;

/** Why gossip was neither stored nor relayed (the `reason` label of `vigil_agreement_gossip_ignored_total`). */
type IgnoreReason =
  | "foreign_network"
  | "epoch_window"
  | "view_ahead"
  | "view_passed"
  | "buffer_full"
  | "observer_limit"
  | "duplicate";

/** A message held for an epoch this node has not started: an own copy of its envelope, decoded. */
interface Buffered {
  msg: GossipMessage;
  decoded: ConsensusMessage;
}

/**
 * The agreement module: subscribes to the observation and agreement topics and runs one
 * `EpochConsensus` per (network, epoch) started with `runEpoch`.
 *
 * What it keeps from gossip is bounded (docs/protocol.md, "Bounds"): nothing for networks it does not
 * serve or epochs off its clock's window; for epochs not started yet, at most `bufferBytesPerPeer`
 * of each peer's messages; in a running epoch, the messages of at most four views.
 */
export function createAgreement(options: Partial<AgreementOptions>, modules: AgreementModules): Agreement {
  const opts: AgreementOptions = { ...defaultAgreementOptions, ...options };
  const served = new Set(opts.networks);
  const { p2p, store, account } = modules;
  const log = modules.logger.child({ module: "agreement" });
  const metrics: AgreementMetrics | undefined = modules.metrics
    ? createAgreementMetrics(modules.metrics, () => stats())
    : undefined;
  const obsTopic = p2p.topic("observations");
  const agTopic = p2p.topic("agreement");
  const instances = new Map<string, EpochConsensus>();
  const latest = new Map<bigint, bigint>();
  // Epoch key -> observer's peer id -> hashes of its observations stored (at most 2).
  const perObserver = new Map<string, Map<string, Set<Hex>>>();
  // `${peerId}:${hash}` of observations already stored; pruned with perObserver when epochs end.
  const seenObservations = new Set<string>();
  // Epoch key -> peer -> payload sha256 -> message. A rebroadcast (same payload, new envelope)
  // replaces its earlier copy instead of adding one.
  const buffered = new Map<string, Map<string, Map<string, Buffered>>>();
  const peerBufferedBytes = new Map<string, number>();
  let bufferedBytes = 0;
  let bufferedMessages = 0;
  let stopped = false;

  const key = (networkId: bigint, epoch: bigint) => `${networkId}:${epoch}`;
  const inWindow = (networkId: bigint, epoch: bigint) => {
    const l = latest.get(networkId);
    if (l === undefined) return true;
    const d = epoch > l ? epoch - l : l - epoch;
    return d <= BigInt(opts.epochWindow);
  };
  const ignored = (topic: "observations" | "agreement", reason: IgnoreReason) => {
    metrics?.ignored.inc({ topic, reason });
    return Validation.Ignore;
  };

  /**
   * Whether gossip for (network, epoch) may be kept: a served network, and a running epoch or one
   * within this node's clock window `[current - epochWindow, current + 1]` (one ahead: a peer whose
   * clock runs slightly ahead closes an epoch first) and within `epochWindow` of the newest started.
   */
  function epochVerdict(networkId: bigint, epoch: bigint): "ok" | "foreign_network" | "epoch_window" {
    if (!served.has(networkId)) return "foreign_network";
    if (instances.has(key(networkId, epoch))) return "ok";
    let current: bigint;
    try {
      current = modules.currentEpoch(networkId);
    } catch (err) {
      log.warn({ err, networkId }, "no epoch clock for a served network");
      return "foreign_network";
    }
    if (epoch > current + 1n || epoch + BigInt(opts.epochWindow) < current) return "epoch_window";
    return inWindow(networkId, epoch) ? "ok" : "epoch_window";
  }

  /** Forgets buffers and per-observer bookkeeping of epochs that left the window. */
  function sweep(): void {
    for (const [k, peers] of buffered) {
      const [n, e] = k.split(":");
      if (epochVerdict(BigInt(n!), BigInt(e!)) !== "ok") dropBuffered(k, peers);
    }
    for (const [k, peers] of perObserver) {
      const [n, e] = k.split(":");
      if (epochVerdict(BigInt(n!), BigInt(e!)) === "ok") continue;
      for (const [peer, hashes] of peers) for (const h of hashes) seenObservations.delete(`${peer}:${h}`);
      perObserver.delete(k);
    }
  }

  function dropBuffered(k: string, peers: Map<string, Map<string, Buffered>>): Buffered[] {
    const out: Buffered[] = [];
    for (const [peer, byPayload] of peers) {
      let bytes = 0;
      for (const b of byPayload.values()) {
        bytes += b.msg.envelope.length;
        out.push(b);
      }
      bufferedBytes -= bytes;
      bufferedMessages -= byPayload.size;
      const left = (peerBufferedBytes.get(peer) ?? 0) - bytes;
      if (left > 0) peerBufferedBytes.set(peer, left);
      else peerBufferedBytes.delete(peer);
    }
    buffered.delete(k);
    return out;
  }

  const payloadKey = (data: Uint8Array) => createHash("sha256").update(data).digest("base64");

  /** Whether a message of `from` fits its buffer (a rebroadcast replaces its copy, so it always fits). */
  function fits(k: string, from: string, msg: GossipMessage): boolean {
    if (buffered.get(k)?.get(from)?.has(payloadKey(msg.data))) return true;
    return (peerBufferedBytes.get(from) ?? 0) + msg.envelope.length <= opts.bufferBytesPerPeer;
  }

  function buffer(k: string, msg: GossipMessage, decoded: ConsensusMessage): void {
    let peers = buffered.get(k);
    if (!peers) {
      sweep();
      peers = new Map();
      buffered.set(k, peers);
    }
    let byPayload = peers.get(msg.from);
    if (!byPayload) {
      byPayload = new Map();
      peers.set(msg.from, byPayload);
    }
    const pk = payloadKey(msg.data);
    const prev = byPayload.get(pk);
    const peerBytes = (peerBufferedBytes.get(msg.from) ?? 0) - (prev?.msg.envelope.length ?? 0);
    if (peerBytes + msg.envelope.length > opts.bufferBytesPerPeer) return;
    // An own copy: a view into the gossip frame would keep the whole frame alive, uncounted.
    const envelope = msg.envelope.slice();
    const data = envelope.subarray(envelope.length - msg.data.length);
    byPayload.set(pk, { msg: { ...msg, envelope, data }, decoded });
    peerBufferedBytes.set(msg.from, peerBytes + envelope.length);
    bufferedBytes += envelope.length - (prev?.msg.envelope.length ?? 0);
    if (!prev) bufferedMessages++;
  }

  function stats(): AgreementStats {
    let retainedBytes = 0;
    let viewsKept = 0;
    for (const inst of instances.values()) {
      const m = inst.memory();
      retainedBytes += m.retainedBytes;
      viewsKept += m.views;
    }
    let maxPeerBufferedBytes = 0;
    for (const b of peerBufferedBytes.values()) maxPeerBufferedBytes = Math.max(maxPeerBufferedBytes, b);
    return {
      bufferedBytes,
      bufferedMessages,
      maxPeerBufferedBytes,
      retainedBytes,
      viewsKept,
      epochs: instances.size,
    };
  }

  // Decoded observations, from validation to the handler (same GossipMessage object).
  interface Incoming {
    o: ObservationSet;
    from: string;
    data: Uint8Array;
    envelope: Uint8Array;
    hash: Hex;
  }
  const decoded = new WeakMap<GossipMessage, Incoming>();
  const decodedMessages = new WeakMap<GossipMessage, ConsensusMessage>();

  /**
   * An observation arrives either from its observer (payload = canonical bytes, starting with the
   * codec version 1) or relayed by a leader (payload = RELAY_TAG || the observer's own envelope),
   * so that an observer cannot show its observation to the leader alone.
   */
  function unwrap(msg: GossipMessage): Omit<Incoming, "o" | "hash"> {
    if (msg.data[0] !== RELAY_TAG) return { from: msg.from, data: msg.data, envelope: msg.envelope };
    const inner = msg.data.subarray(1);
    const opened = openEnvelope(obsTopic, inner);
    return { from: opened.from, data: opened.payload, envelope: inner };
  }

  p2p.subscribe(
    obsTopic,
    (msg) => {
      let u: Omit<Incoming, "o" | "hash">;
      try {
        u = unwrap(msg);
      } catch {
        return Validation.Reject;
      }
      // Re-gossiped copies of an observation we already hold are dropped before the (costly) decode.
      const hash = observationHash(u.data);
      if (seenObservations.has(`${u.from}:${hash}`)) return ignored("observations", "duplicate");
      let o: ObservationSet;
      try {
        o = decodeObservation(u.data);
      } catch {
        return Validation.Reject;
      }
      const verdict = epochVerdict(o.networkId, o.epoch);
      if (verdict !== "ok") return ignored("observations", verdict);
      // The observer named must be the sender's signer: the epoch's oracle set once its agreement
      // runs, the registry before (an observation stored for later must not be someone else's).
      const inst = instances.get(key(o.networkId, o.epoch));
      const signer = inst ? inst.signerOf(u.from) : modules.signerOf(u.from)?.toLowerCase();
      if (signer !== o.observer.toLowerCase()) return Validation.Reject;
      const seen = perObserver.get(key(o.networkId, o.epoch))?.get(u.from);
      if (seen && seen.size >= MAX_OBSERVATIONS_PER_OBSERVER)
        return ignored("observations", "observer_limit");
      decoded.set(msg, { ...u, o, hash });
      return Validation.Accept;
    },
    (msg) => {
      const d = decoded.get(msg);
      if (!d || stopped) return;
      const { o, from, data, envelope, hash } = d;
      const k = key(o.networkId, o.epoch);
      let peers = perObserver.get(k);
      if (!peers) {
        sweep();
        peers = new Map();
        perObserver.set(k, peers);
      }
      let seen = peers.get(from);
      if (!seen) {
        seen = new Set();
        peers.set(from, seen);
      }
      if (seen.has(hash) || seen.size >= MAX_OBSERVATIONS_PER_OBSERVER) return;
      seen.add(hash);
      seenObservations.add(`${from}:${hash}`);
      store.saveObservation({
        networkId: o.networkId,
        epoch: o.epoch,
        observer: o.observer,
        hash,
        peerId: from,
        bytes: data,
        envelope,
      });
      instances.get(k)?.addObservation({ peerId: from, bytes: data, envelope, hash, decoded: o });
    },
  );

  p2p.subscribe(
    agTopic,
    async (msg) => {
      let m: ConsensusMessage;
      try {
        m = decodeMessage(msg.data);
      } catch {
        metrics?.messages.inc({ type: "unknown", result: "reject" });
        return Validation.Reject;
      }
      const verdict = epochVerdict(m.networkId, m.epoch);
      if (verdict !== "ok") return ignored("agreement", verdict);
      const k = key(m.networkId, m.epoch);
      const inst = instances.get(k);
      if (inst) {
        const signer = inst.signerOf(msg.from);
        if (!signer) return Validation.Reject;
        const admission = inst.admit(signer, m);
        if (admission === "invalid") {
          metrics?.messages.inc({ type: m.t, result: "reject" });
          return Validation.Reject;
        }
        if (admission !== "ok") return ignored("agreement", admission);
        if (m.t === "vote") {
          const body = {
            ...m,
            resultRoot: m.resultRoot as Hex,
            observationsCommitment: m.observationsCommitment as Hex,
          };
          const recovered = await recoverResultVoteSigner(inst.ctx, body, m.signature as Hex).catch(
            () => undefined,
          );
          if (recovered?.toLowerCase() !== signer) {
            metrics?.messages.inc({ type: m.t, result: "reject" });
            return Validation.Reject;
          }
        }
      } else {
        if (!modules.signerOf(msg.from)) return Validation.Reject;
        if (!fits(k, msg.from, msg)) return ignored("agreement", "buffer_full");
      }
      decodedMessages.set(msg, m);
      metrics?.messages.inc({ type: m.t, result: "accept" });
      return Validation.Accept;
    },
    async (msg) => {
      const m = decodedMessages.get(msg);
      if (stopped || !m) return;
      const k = key(m.networkId, m.epoch);
      const inst = instances.get(k);
      if (inst) return inst.onMessage(msg, m);
      // Validated against an instance that has ended since, or buffered after a sweep: check again.
      if (epochVerdict(m.networkId, m.epoch) === "ok") buffer(k, msg, m);
    },
  );

  return {
    async runEpoch(ctx: EpochContext, own: ObservationSet): Promise<EpochCertificate> {
      if (stopped) throw new AgreementError("AGREEMENT_STOPPED", "agreement stopped");
      if (!served.has(ctx.networkId))
        throw new AgreementError("AGREEMENT_BAD_CONTEXT", "this node does not serve the network", {
          networkId: ctx.networkId,
        });
      if (own.networkId !== ctx.networkId || own.epoch !== ctx.epoch)
        throw new AgreementError("AGREEMENT_BAD_OBSERVATION", "own observation is for another epoch");
      if (own.observer.toLowerCase() !== account.address.toLowerCase())
        throw new AgreementError("AGREEMENT_BAD_OBSERVATION", "own observation must name this node's signer");
      const k = key(ctx.networkId, ctx.epoch);
      const existing = instances.get(k);
      if (existing) return existing.certificate;
      const prev = latest.get(ctx.networkId);
      if (prev === undefined || ctx.epoch > prev) latest.set(ctx.networkId, ctx.epoch);
      for (const [ik, inst] of instances) {
        if (!inWindow(inst.ctx.networkId, inst.ctx.epoch)) {
          inst.stop();
          instances.delete(ik);
        }
      }
      // After a restart our observation is already signed and out: keep it, whatever we were given
      // now, so that a restarted node never signs a second observation for the epoch either.
      const earlier = store
        .getObservations(ctx.networkId, ctx.epoch)
        .find((o) => o.peerId === p2p.peerId && o.observer.toLowerCase() === account.address.toLowerCase());
      const bytes = earlier?.bytes ?? encodeObservation(own);
      const hash = earlier?.hash ?? observationHash(bytes);
      if (earlier && earlier.hash !== observationHash(encodeObservation(own)))
        log.warn(
          { epoch: ctx.epoch.toString() },
          "restarted with a different observation; keeping the one already signed",
        );
      const inst = new EpochConsensus(ctx, {
        opts,
        store,
        log: log.child({ networkId: ctx.networkId.toString(), epoch: ctx.epoch.toString() }),
        account,
        verifyFraud: modules.verifyFraud,
        agreementTopic: agTopic,
        metrics,
        onEquivocation: () => {},
        relay: async (envelopes) => {
          for (const env of envelopes) {
            const payload = new Uint8Array(env.length + 1);
            payload[0] = RELAY_TAG;
            payload.set(env, 1);
            await p2p.publish(obsTopic, payload).catch((err) => log.warn({ err }, "relay observation"));
          }
        },
        publish: async (kind, data) => {
          const topic = kind === "agreement" ? agTopic : obsTopic;
          const envelope = p2p.seal(topic, data);
          await p2p.publishSealed(topic, envelope);
          return envelope;
        },
      });
      instances.set(k, inst);
      // An epoch that failed (or was stopped) leaves the map, so a later runEpoch resumes it from the store.
      inst.certificate.catch(() => {
        if (instances.get(k) === inst) instances.delete(k);
      });
      const pending = dropBuffered(k, buffered.get(k) ?? new Map());
      sweep();
      try {
        store.saveObservation({
          networkId: ctx.networkId,
          epoch: ctx.epoch,
          observer: own.observer,
          hash,
          peerId: p2p.peerId,
          bytes,
          envelope: p2p.seal(obsTopic, bytes),
        });
        if (!perObserver.has(k)) perObserver.set(k, new Map());
        perObserver.get(k)!.set(p2p.peerId, new Set([hash]));
        seenObservations.add(`${p2p.peerId}:${hash}`);
        await inst.start({ bytes, hash });
      } catch (err) {
        inst.stop();
        if (instances.get(k) === inst) instances.delete(k);
        throw err;
      }
      for (const b of pending) await inst.onMessage(b.msg, b.decoded);
      return inst.certificate;
    },

    equivocations: (filter) => store.getEquivocations(filter),

    stats,

    async stop() {
      if (stopped) return;
      stopped = true;
      for (const inst of instances.values()) inst.stop();
      instances.clear();
      for (const [k, peers] of buffered) dropBuffered(k, peers);
    },
  };
}
