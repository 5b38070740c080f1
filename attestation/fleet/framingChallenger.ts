import type { DeviceGateway } from "../agent/gateway";
import { verifyPayloadRequest } from "../agent/payloadRequest";
import { decodePoll } from "../agent/poll";
import { bandwidthPayload } from "../challenges/bandwidth";
import { COMPUTE_SAMPLES } from "../constants";
import type { Signer } from "../crypto/ed25519";
import { nodeVerify } from "../crypto/node";
import { buildEvidence } from "../evidence";
import { challengeIdOf, keccak256 } from "../hash";
import type { FraudReasonName } from "../messages/evidence";
import { noTicket } from "../messages/heartbeat";
import { type Message, verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";

export interface FramingChallengerOptions {
  /** Any Ed25519 key: registered oracle or not, the framer signs its challenges with it. */
  signer: Signer;
  /** Where the framer learns network, epoch and time (an honest node's gateway: public information). */
  upstream: DeviceGateway;
  /** The beacon to seed a challenge from (the epoch's, as a byzantine oracle knows it); default zeros. */
  beacon?: (epoch: bigint, deviceId: Uint8Array) => Promise<Uint8Array | undefined>;
  /** One hostile challenge per victim per interval, ms. */
  intervalMs: number;
  /** Each framed evidence bundle, as the framer would submit it (gossip, the node's fraud endpoint). */
  onEvidence: (evidence: Uint8Array, reason: FraudReasonName) => void;
}

interface Open {
  challenge: Message<"challenge">;
  /** The salt the challenge's `saltHash` commits to (what the evidence carries). */
  salt: Uint8Array;
  commit: Message<"commit"> | null;
  reason: FraudReasonName;
}

const random = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/**
 * A hostile challenger that a victim device also answers (it poses as one of its oracles): it
 * reveals a salt other than the one it committed to (compute), or serves a payload with one bit
 * flipped (bandwidth), then wraps what the device signed into an evidence bundle naming the
 * committed salt. If any such bundle verifies as fraud, an honest device can be framed.
 */
export function createFramingChallenger(opts: FramingChallengerOptions): DeviceGateway {
  const open = new Map<string, Open>();
  const nextAt = new Map<string, number>();
  let turn = 0;
  const key = (b: Uint8Array) => Buffer.from(b).toString("hex");

  async function issue(deviceId: Uint8Array): Promise<Uint8Array> {
    const info = await opts.upstream.info();
    const salt = random(32);
    const nonce = random(32);
    const bandwidth = turn++ % 2 === 1;
    const bytes = signMessage(
      "challenge",
      { networkId: info.networkId, epoch: info.epoch },
      {
        deviceId,
        beacon: (await opts.beacon?.(info.epoch, deviceId)) ?? new Uint8Array(32),
        nonce,
        saltHash: keccak256(salt),
        issuedAtMs: info.nowMs,
        deadlineMs: info.nowMs + 10_000n,
        params: bandwidth
          ? { type: "bandwidth", bytes: 4096, payloadHash: keccak256(bandwidthPayload(nonce, salt, 4096)) }
          : { type: "compute", n: 64, samples: COMPUTE_SAMPLES },
      },
      opts.signer,
    );
    const m = verifyMessage(bytes, { kind: "challenge", networkId: info.networkId }, () => true);
    if (!m.ok) throw m.error;
    open.set(key(challengeIdOf(m.value.signingBytes)), {
      challenge: m.value,
      salt,
      commit: null,
      reason: bandwidth ? "bandwidthWrongHash" : "computeBadOpening",
    });
    return bytes;
  }

  return {
    info: () => opts.upstream.info(),
    // It credits nothing, so it hands out no liveness tickets.
    register: async () => ({ ticket: noTicket() }),
    heartbeat: async () => ({ ticket: noTicket() }),
    async pollChallenges(poll, waitMs, signal) {
      // Posing as a node, it takes the device's word for who polls: it wants the victim to answer.
      const decoded = decodePoll(poll);
      if (!decoded.ok) throw decoded.error;
      const { deviceId } = decoded.value;
      const due = nextAt.get(key(deviceId)) ?? 0;
      const wait = Math.max(0, Math.min(waitMs, due - Date.now()));
      if (wait > 0)
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            signal?.removeEventListener("abort", done);
            resolve();
          };
          const t = setTimeout(done, wait);
          signal?.addEventListener("abort", done, { once: true });
        });
      if (signal?.aborted || Date.now() < due) return [];
      nextAt.set(key(deviceId), Date.now() + opts.intervalMs);
      return [await issue(deviceId)];
    },
    async commit(bytes) {
      const { networkId } = await opts.upstream.info();
      const m = verifyMessage(bytes, { kind: "commit", networkId }, nodeVerify);
      if (!m.ok) throw m.error;
      const o = open.get(key(m.value.body.challengeId));
      if (!o) throw new Error("no such challenge");
      o.commit = m.value;
      // Not the committed salt: the device opens rows the evidence's salt did not ask for.
      return { salt: random(32) };
    },
    async payload(request) {
      const r = verifyPayloadRequest(request, nodeVerify);
      if (!r.ok) throw r.error;
      const o = open.get(key(r.value.challengeId));
      if (o?.challenge.body.params.type !== "bandwidth") throw new Error("no such challenge");
      const payload = bandwidthPayload(o.challenge.body.nonce, o.salt, o.challenge.body.params.bytes);
      payload[0]! ^= 1;
      return payload;
    },
    async respond(bytes) {
      const { networkId } = await opts.upstream.info();
      const m = verifyMessage(bytes, { kind: "response", networkId }, nodeVerify);
      if (!m.ok) throw m.error;
      const id = key(m.value.body.challengeId);
      const o = open.get(id);
      if (!o) throw new Error("no such challenge");
      open.delete(id);
      const evidence = buildEvidence(
        {
          challenge: o.challenge,
          salt: o.salt,
          commit: o.commit,
          response: m.value,
          commitReceivedAtMs: o.challenge.body.issuedAtMs,
          responseReceivedAtMs: o.challenge.body.issuedAtMs + 1n,
          reason: o.reason,
        },
        opts.signer,
      );
      opts.onEvidence(evidence, o.reason);
    },
  };
}
