import type { Hex } from "viem";
import { type GossipMessage, openEnvelope, Validation } from "../p2p/index";
import { EpochConsensus } from "./epochConsensus";
import { AgreementError } from "./errors";
import type { Agreement, AgreementModules } from "./interface";
import { decodeMessage } from "./messages";
import { type AgreementMetrics, createAgreementMetrics } from "./metrics";
import { decodeObservation, encodeObservation, observationHash, RELAY_TAG } from "./observationCodec";
import { type AgreementOptions, defaultAgreementOptions } from "./options";
import { recoverResultVoteSigner } from "./resultVote";
import type { EpochCertificate, EpochContext, ObservationSet } from "./types";

const MAX_BUFFERED_PER_EPOCH = 4096;

/** An observer may publish at most this many distinct observations per epoch (2 already prove equivocation). */
const MAX_OBSERVATIONS_PER_OBSERVER = 2;

/**
 * The agreement module: subscribes to the observation and agreement topics and runs one
 * `EpochConsensus` per (network, epoch) started with `runEpoch`.
 */
export function createAgreement(options: Partial<AgreementOptions>, modules: AgreementModules): Agreement {
  const opts: AgreementOptions = { ...defaultAgreementOptions, ...options };
  const { p2p, store, account } = modules;
  const log = modules.logger.child({ module: "agreement" });
  const metrics: AgreementMetrics | undefined = modules.metrics
    ? createAgreementMetrics(modules.metrics)
    : undefined;
  const obsTopic = p2p.topic("observations");
  const agTopic = p2p.topic("agreement");
  const instances = new Map<string, EpochConsensus>();
  const buffered = new Map<string, GossipMessage[]>();
  const latest = new Map<bigint, bigint>();
  const perObserver = new Map<string, Set<Hex>>();
  // `${peerId}:${hash}` of observations already stored; pruned with perObserver when epochs end.
  const seenObservations = new Set<string>();
  let stopped = false;

  const key = (networkId: bigint, epoch: bigint) => `${networkId}:${epoch}`;
  const inWindow = (networkId: bigint, epoch: bigint) => {
    const l = latest.get(networkId);
    if (l === undefined) return true;
    const d = epoch > l ? epoch - l : l - epoch;
    return d <= BigInt(opts.epochWindow);
  };

  // Decoded observations, from validation to the handler (same GossipMessage object).
  interface Incoming {
    o: ObservationSet;
    from: string;
    data: Uint8Array;
    envelope: Uint8Array;
    hash: Hex;
  }
  const decoded = new WeakMap<GossipMessage, Incoming>();

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
      if (seenObservations.has(`${u.from}:${hash}`)) return Validation.Ignore;
      let o: ObservationSet;
      try {
        o = decodeObservation(u.data);
      } catch {
        return Validation.Reject;
      }
      if (!inWindow(o.networkId, o.epoch)) return Validation.Ignore;
      const inst = instances.get(key(o.networkId, o.epoch));
      if (inst && inst.signerOf(u.from) !== o.observer.toLowerCase()) return Validation.Reject;
      const seen = perObserver.get(`${key(o.networkId, o.epoch)}:${u.from}`);
      if (seen && seen.size >= MAX_OBSERVATIONS_PER_OBSERVER) return Validation.Ignore;
      decoded.set(msg, { ...u, o, hash });
      return Validation.Accept;
    },
    (msg) => {
      const d = decoded.get(msg);
      if (!d || stopped) return;
      const { o, from, data, envelope, hash } = d;
      const k = key(o.networkId, o.epoch);
      let seen = perObserver.get(`${k}:${from}`);
      if (!seen) {
        seen = new Set();
        perObserver.set(`${k}:${from}`, seen);
      }
      if (seen.has(hash)) return;
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
      let m: ReturnType<typeof decodeMessage>;
      try {
        m = decodeMessage(msg.data);
      } catch {
        metrics?.messages.inc({ type: "unknown", result: "reject" });
        return Validation.Reject;
      }
      if (!inWindow(m.networkId, m.epoch)) return Validation.Ignore;
      const inst = instances.get(key(m.networkId, m.epoch));
      if (inst) {
        const signer = inst.signerOf(msg.from);
        if (!signer) return Validation.Reject;
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
      }
      metrics?.messages.inc({ type: m.t, result: "accept" });
      return Validation.Accept;
    },
    async (msg) => {
      if (stopped) return;
      const m = decodeMessage(msg.data);
      const k = key(m.networkId, m.epoch);
      const inst = instances.get(k);
      if (inst) return inst.onMessage(msg);
      let list = buffered.get(k);
      if (!list) {
        if (buffered.size > 4 * opts.epochWindow) buffered.delete(buffered.keys().next().value!);
        list = [];
        buffered.set(k, list);
      }
      if (list.length < MAX_BUFFERED_PER_EPOCH) list.push(msg);
    },
  );

  return {
    async runEpoch(ctx: EpochContext, own: ObservationSet): Promise<EpochCertificate> {
      if (stopped) throw new AgreementError("AGREEMENT_STOPPED", "agreement stopped");
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
      for (const [pk, hashes] of perObserver) {
        const [n, e, peer] = pk.split(":");
        if (!inWindow(BigInt(n!), BigInt(e!))) {
          for (const h of hashes) seenObservations.delete(`${peer}:${h}`);
          perObserver.delete(pk);
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
      store.saveObservation({
        networkId: ctx.networkId,
        epoch: ctx.epoch,
        observer: own.observer,
        hash,
        peerId: p2p.peerId,
        bytes,
        envelope: p2p.seal(obsTopic, bytes),
      });
      perObserver.set(`${k}:${p2p.peerId}`, new Set([hash]));
      seenObservations.add(`${p2p.peerId}:${hash}`);
      await inst.start({ bytes, hash });
      for (const msg of buffered.get(k) ?? []) await inst.onMessage(msg).catch(() => {});
      buffered.delete(k);
      return inst.certificate;
    },

    equivocations: (filter) => store.getEquivocations(filter),

    async stop() {
      if (stopped) return;
      stopped = true;
      for (const inst of instances.values()) inst.stop();
      instances.clear();
      buffered.clear();
    },
  };
}
