import { bytesToHex, equalBytes } from "../bytes";
import { type ChallengeTypeName, COMPUTE_SAMPLES, computeSize, MAX_STORAGE_SAMPLES } from "../constants";
import type { Ed25519Verify, Signer } from "../crypto/ed25519";
import { AttestationError, fail, ok, type Result } from "../errors";
import { buildEvidence } from "../evidence";
import { challengeIdOf, evidenceHashOf, keccak256 } from "../hash";
import type { Capabilities } from "../messages/capabilities";
import type { ChallengeParams } from "../messages/challenge";
import { FraudReason } from "../messages/evidence";
import { type Message, verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import type { Verdict } from "../verdict";
import { bandwidthPayload, payloadHash } from "./bandwidth";
import { judgeExchange } from "./judge";
import type { StorageTarget } from "./storage";

export interface ChallengerOptions {
  networkId: bigint;
  /** The node's Ed25519 key (its libp2p identity key). */
  signer: Signer;
  verify: Ed25519Verify;
  /** Source of the challenger's secrets; default `crypto.getRandomValues`. */
  random?: (length: number) => Uint8Array;
  /** Open challenges kept; issuing beyond it fails (bounded memory). */
  maxPending?: number;
}

/**
 * What a caller asks the challenger to issue. The challenger fills in the rest of the signed
 * `ChallengeParams` itself: the storage a storage challenge is judged against (the chain's target
 * for the device) and the commitment to the bandwidth payload (from its secret salt).
 */
export type IssueParams =
  | Extract<ChallengeParams, { type: "compute" }>
  | { type: "storage"; samples: number }
  | { type: "bandwidth"; bytes: number }
  | { type: "latency" };

/**
 * Default deadlines in ms per challenge type, the same for every class: a class is a speed (class
 * c does the n = 64·2^c product, 8^c times the class-0 work, in the same time), so a device whose
 * hardware is below its claim misses. Nodes use their network's policy instead.
 */
export function defaultDeadlineMs(params: IssueParams): number {
  return params.type === "latency" ? 1_000 : 2_000;
}

/** Bandwidth payload of class 0 unless the network's policy says otherwise: 256 KiB. */
export const DEFAULT_BANDWIDTH_BASE_BYTES = 256 * 1024;

/** Challenge parameters for a device's claimed capabilities: compute and bandwidth grow with the class. */
export function paramsFor(
  type: ChallengeTypeName,
  caps: Capabilities,
  bandwidthBaseBytes = DEFAULT_BANDWIDTH_BASE_BYTES,
): IssueParams {
  if (type === "compute") return { type, n: computeSize(caps.computeClass), samples: COMPUTE_SAMPLES };
  if (type === "storage") return { type, samples: Math.min(8, MAX_STORAGE_SAMPLES) };
  if (type === "bandwidth")
    return { type, bytes: bandwidthBaseBytes * 2 ** Math.min(caps.bandwidthClass, 5) };
  return { type };
}

interface Pending {
  challenge: Message<"challenge">;
  id: Uint8Array;
  salt: Uint8Array;
  deliveredAtMs: bigint | null;
  commit: Message<"commit"> | null;
  commitReceivedAtMs: bigint;
  payloadServedAtMs: bigint | null;
}

export interface IssueInput {
  deviceId: Uint8Array;
  epoch: bigint;
  beacon: Uint8Array;
  params: IssueParams;
  nowMs: bigint;
  /** Default `defaultDeadlineMs(params)`. */
  ttlMs?: number;
  /**
   * Required for storage challenges: the storage the device must hold, as its network's storage
   * client registered it on chain (never the device's own word). Its root, chunk count and chunk
   * size go into the signed challenge, which is judged against them.
   */
  storage?: StorageTarget;
}

/**
 * The challenger's side of every challenge, with no I/O: the node calls it with bytes and its
 * clock and gets bytes and verdicts back. Fraud verdicts carry signed evidence.
 */
export class Challenger {
  private pending = new Map<string, Pending>();
  private readonly random: (n: number) => Uint8Array;
  constructor(private readonly opts: ChallengerOptions) {
    this.random = opts.random ?? ((n) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
  }

  get publicKey(): Uint8Array {
    return this.opts.signer.publicKey;
  }
  get pendingCount(): number {
    return this.pending.size;
  }

  issue(input: IssueInput): { bytes: Uint8Array; challengeId: Uint8Array; deadlineMs: bigint } {
    if (this.pending.size >= (this.opts.maxPending ?? 100_000))
      throw new AttestationError("OVERSIZED", "too many open challenges");
    const salt = this.random(32);
    const nonce = this.random(32);
    const params = this.fullParams(input, nonce, salt);
    const deadlineMs = input.nowMs + BigInt(input.ttlMs ?? defaultDeadlineMs(input.params));
    const bytes = signMessage(
      "challenge",
      { networkId: this.opts.networkId, epoch: input.epoch },
      {
        deviceId: input.deviceId,
        beacon: input.beacon,
        nonce,
        saltHash: keccak256(salt),
        issuedAtMs: input.nowMs,
        deadlineMs,
        params,
      },
      this.opts.signer,
    );
    const challenge = verifyMessage(
      bytes,
      { kind: "challenge", networkId: this.opts.networkId, epoch: input.epoch },
      () => true,
    );
    if (!challenge.ok) throw challenge.error;
    const id = challengeIdOf(challenge.value.signingBytes);
    this.pending.set(bytesToHex(id), {
      challenge: challenge.value,
      id,
      salt,
      deliveredAtMs: null,
      commit: null,
      commitReceivedAtMs: 0n,
      payloadServedAtMs: null,
    });
    return { bytes, challengeId: id, deadlineMs };
  }

  private fullParams(input: IssueInput, nonce: Uint8Array, salt: Uint8Array): ChallengeParams {
    const p = input.params;
    if (p.type === "storage") {
      const target = input.storage;
      if (!target)
        throw new AttestationError("MISMATCH", "storage challenge needs the device's storage target");
      const { storageRoot, storageChunks, storageChunkBytes } = target;
      return { ...p, storageRoot, storageChunks, storageChunkBytes };
    }
    if (p.type === "bandwidth")
      return { ...p, payloadHash: payloadHash(bandwidthPayload(nonce, salt, p.bytes)) };
    return p;
  }

  /** Records when the challenge bytes left for the device (start of its round trip). */
  delivered(challengeId: Uint8Array, nowMs: bigint): void {
    const p = this.pending.get(bytesToHex(challengeId));
    if (p && p.deliveredAtMs === null) p.deliveredAtMs = nowMs;
  }

  /** A compute commitment: verified, stored, answered with the salt (which rows to open, the check vector). */
  onCommit(bytes: Uint8Array, nowMs: bigint): Result<{ challengeId: Uint8Array; salt: Uint8Array }> {
    const m = verifyMessage(bytes, { kind: "commit", networkId: this.opts.networkId }, this.opts.verify);
    if (!m.ok) return m;
    const p = this.pending.get(bytesToHex(m.value.body.challengeId));
    if (!p) return fail("MISMATCH", "commit for an unknown or closed challenge");
    if (!equalBytes(m.value.signer, p.challenge.body.deviceId)) return fail("WRONG_DEVICE", "commit signer");
    if (m.value.epoch !== p.challenge.epoch) return fail("WRONG_EPOCH", "commit epoch");
    if (p.challenge.body.params.type !== "compute")
      return fail("MISMATCH", "commit for a non-compute challenge");
    if (nowMs > p.challenge.body.deadlineMs) return fail("DEADLINE", "commit after the deadline");
    if (p.commit && !equalBytes(p.commit.bytes, m.value.bytes))
      return fail("MISMATCH", "second, different commit");
    p.commit = m.value;
    p.commitReceivedAtMs = nowMs;
    return ok({ challengeId: p.id, salt: p.salt });
  }

  /**
   * The bandwidth payload for a device to download (undefined if no such open challenge, or, with
   * `deviceId`, if the challenge is another device's: the caller verified that device's signature).
   */
  payload(challengeId: Uint8Array, nowMs: bigint, deviceId?: Uint8Array): Uint8Array | undefined {
    const p = this.pending.get(bytesToHex(challengeId));
    if (p === undefined) return undefined;
    if (deviceId && !equalBytes(deviceId, p.challenge.body.deviceId)) return undefined;
    const params = p.challenge.body.params;
    if (params.type !== "bandwidth") return undefined;
    p.payloadServedAtMs ??= nowMs;
    return bandwidthPayload(p.challenge.body.nonce, p.salt, params.bytes);
  }

  /** Judges a response; closes the challenge unless the response is rejected. */
  onResponse(bytes: Uint8Array, nowMs: bigint): Verdict {
    const m = verifyMessage(bytes, { kind: "response", networkId: this.opts.networkId }, this.opts.verify);
    if (!m.ok) return { status: "rejected", error: m.error };
    const key = bytesToHex(m.value.body.challengeId);
    const p = this.pending.get(key);
    if (!p)
      return {
        status: "rejected",
        error: new AttestationError("MISMATCH", "response to an unknown or closed challenge"),
      };
    const judged = judgeExchange({
      challenge: p.challenge,
      salt: p.salt,
      commit: p.commit,
      response: m.value,
    });
    if (!judged.ok) return { status: "rejected", error: judged.error };
    this.pending.delete(key);
    const base = {
      deviceId: p.challenge.body.deviceId,
      challengeId: p.id,
      type: p.challenge.body.params.type,
    };
    const j = judged.value;
    if (j.outcome === "fraud") {
      const evidence = buildEvidence(
        {
          challenge: p.challenge,
          salt: p.salt,
          commit: p.commit,
          commitReceivedAtMs: p.commitReceivedAtMs,
          response: m.value,
          responseReceivedAtMs: nowMs,
          reason: j.reason,
        },
        this.opts.signer,
      );
      return {
        status: "fraud",
        ...base,
        reason: j.reason,
        reasonCode: FraudReason[j.reason],
        detail: j.detail,
        evidence,
        evidenceHash: evidenceHashOf(evidence),
      };
    }
    const deadlineMs = p.challenge.body.deadlineMs;
    if (nowMs > deadlineMs) return { status: "late", ...base, receivedAtMs: nowMs, deadlineMs };
    const start = p.payloadServedAtMs ?? p.deliveredAtMs ?? p.challenge.body.issuedAtMs;
    return { status: "pass", ...base, workUnits: j.workUnits, rttMs: Number(nowMs - start) };
  }

  /** Closes every challenge past its deadline with no response: `missed` (no evidence, not slashable). */
  expire(nowMs: bigint): Verdict[] {
    const out: Verdict[] = [];
    for (const [key, p] of this.pending) {
      if (nowMs <= p.challenge.body.deadlineMs) continue;
      this.pending.delete(key);
      out.push({
        status: "missed",
        deviceId: p.challenge.body.deviceId,
        challengeId: p.id,
        type: p.challenge.body.params.type,
        deadlineMs: p.challenge.body.deadlineMs,
      });
    }
    return out;
  }
}
