import { bytesToHex } from "../bytes";
import { Challenger, defaultDeadlineMs, paramsFor } from "../challenges/challenger";
import type { ChallengeTypeName } from "../constants";
import type { Ed25519Verify, Signer } from "../crypto/ed25519";
import { nodeVerify } from "../crypto/node";
import { AttestationError } from "../errors";
import { challengeIdOf } from "../hash";
import { createHeartbeatVerifier } from "../heartbeat";
import type { ChallengeParams } from "../messages/challenge";
import { type Message, verifyMessage } from "../messages/message";
import type { Verdict } from "../verdict";
import { type DeviceGateway, GatewayError } from "./gateway";

export interface ChallengerGatewayOptions {
  networkId: bigint;
  /** The node's Ed25519 key (libp2p identity key): signs challenges and evidence. */
  signer: Signer;
  verify?: Ed25519Verify;
  epoch: () => bigint;
  beacon: (epoch: bigint) => Uint8Array;
  now?: () => bigint;
  /** On-chain registry lookup. Unregistered devices (Sybils) are rejected with UNKNOWN_DEVICE. */
  isRegistered?: (deviceId: Uint8Array) => boolean;
  /** Issue challenges automatically on heartbeats: at most one per device per `intervalMs`, rotating `types`. */
  schedule?: { intervalMs: number; types: ChallengeTypeName[] };
  /** Deadline of an issued challenge, ms after issue: fixed, or per challenge (default `defaultDeadlineMs`). */
  ttlMs?: number | ((params: ChallengeParams) => number);
  /**
   * When an epoch ends, unix ms on the node's clock: reported in `info()`, and no challenge is
   * issued whose deadline falls after its epoch's end (so each is judged before the epoch closes).
   */
  epochEndMs?: (epoch: bigint) => bigint;
  /**
   * The network policy's heartbeat interval: reported in `info()` (devices pace their heartbeats
   * by it) and the window of the per-device heartbeat rate limit.
   */
  heartbeatIntervalMs?: number;
  /**
   * Heartbeats accepted per device per `heartbeatIntervalMs` window (default 4); beyond, the
   * heartbeat is answered RATE_LIMITED and nothing is kept. Counted after verification, so only the
   * device's own fresh heartbeats use its allowance.
   */
  maxHeartbeatsPerInterval?: number;
  /** Every challenge issued (the node's ledger of what it asked each device). */
  onIssue?: (challenge: Message<"challenge">) => void;
  /** Late answers still get a `late` verdict up to this long after the deadline, then `missed` (default 5 s). */
  lateGraceMs?: number;
  onVerdict?: (v: Verdict) => void;
  onHeartbeat?: (m: Message<"heartbeat">) => void;
  /** Challenges queued per device awaiting a poll (bounded; oldest dropped). */
  maxQueued?: number;
  /** Devices tracked (registrations, queues); beyond it new devices are refused (default 100k). */
  maxDevices?: number;
}

export interface ChallengerGateway extends DeviceGateway {
  readonly challenger: Challenger;
  /**
   * Issues a challenge of `type` to a known device (parameters follow its claimed capabilities);
   * undefined if the device never registered or heartbeat here, or if the deadline would fall after
   * the epoch's end (`epochEndMs`). Throws `AttestationError` OVERSIZED
   * when the challenger already holds its maximum of open challenges.
   */
  issue(deviceId: Uint8Array, type: ChallengeTypeName): Uint8Array | undefined;
  /** Closes challenges past deadline + grace as `missed`; call periodically. */
  tick(): Verdict[];
  /** Releases pending long-polls and stops timers. */
  close(): void;
}

interface DeviceState {
  registration: Message<"registration"> | null;
  lastHeartbeat: Message<"heartbeat"> | null;
  queue: Uint8Array[];
  waiters: Set<() => void>;
  nextChallengeAtMs: bigint;
  rotation: number;
  /** Heartbeats accepted in the current rate-limit window. */
  heartbeatWindow: { index: bigint; count: number };
}

/**
 * A node-side `DeviceGateway` built on `Challenger`: verifies registrations and heartbeats,
 * queues challenges for long-polling devices, judges answers, and reports every verdict. The
 * oracle node can use it as is (wiring `onVerdict` / `onHeartbeat` into its observations) or wrap it.
 */
export function createChallengerGateway(opts: ChallengerGatewayOptions): ChallengerGateway {
  const verify = opts.verify ?? nodeVerify;
  const now = opts.now ?? (() => BigInt(Date.now()));
  const maxQueued = opts.maxQueued ?? 16;
  const maxDevices = opts.maxDevices ?? 100_000;
  const grace = BigInt(opts.lateGraceMs ?? 5_000);
  const maxHeartbeats = opts.maxHeartbeatsPerInterval ?? 4;
  const challenger = new Challenger({ networkId: opts.networkId, signer: opts.signer, verify });
  const verifyHeartbeat = createHeartbeatVerifier({
    networkId: opts.networkId,
    verify,
    isRegistered: opts.isRegistered,
  });
  const devices = new Map<string, DeviceState>();
  let closed = false;

  const state = (deviceId: Uint8Array): DeviceState => {
    const key = bytesToHex(deviceId);
    let s = devices.get(key);
    if (!s) {
      if (devices.size >= maxDevices)
        throw new AttestationError("OVERSIZED", "gateway tracks too many devices");
      s = {
        registration: null,
        lastHeartbeat: null,
        queue: [],
        waiters: new Set(),
        nextChallengeAtMs: 0n,
        rotation: 0,
        heartbeatWindow: { index: -1n, count: 0 },
      };
      devices.set(key, s);
    }
    return s;
  };
  const report = (v: Verdict) => opts.onVerdict?.(v);
  const rejectIf = (cond: boolean, code: AttestationError["code"], check: string) => {
    if (cond) throw new AttestationError(code, check);
  };

  function issue(deviceId: Uint8Array, type: ChallengeTypeName): Uint8Array | undefined {
    const s = devices.get(bytesToHex(deviceId));
    const caps = s?.lastHeartbeat?.body.capabilities ?? s?.registration?.body.capabilities;
    if (!s || !caps) return undefined;
    if (type === "storage" && !s.registration?.body.storageChunks) return undefined;
    const epoch = opts.epoch();
    const params = paramsFor(type, caps);
    const ttlMs = typeof opts.ttlMs === "function" ? opts.ttlMs(params) : opts.ttlMs;
    const t = now();
    if (opts.epochEndMs && t + BigInt(ttlMs ?? defaultDeadlineMs(params)) > opts.epochEndMs(epoch))
      return undefined;
    const { bytes } = challenger.issue({
      deviceId,
      epoch,
      beacon: opts.beacon(epoch),
      params,
      nowMs: t,
      registration: s.registration ?? undefined,
      ttlMs,
    });
    if (opts.onIssue) {
      const m = verifyMessage(bytes, { kind: "challenge", networkId: opts.networkId }, () => true);
      if (m.ok) opts.onIssue(m.value);
    }
    if (s.queue.length >= maxQueued) s.queue.shift();
    s.queue.push(bytes);
    for (const w of s.waiters) w();
    return bytes;
  }

  // Our own challenges, so the signature need not be re-checked; delivery starts the round trip.
  function drain(s: DeviceState): Uint8Array[] {
    const out = s.queue.splice(0);
    const t = now();
    for (const b of out) {
      const m = verifyMessage(b, { kind: "challenge", networkId: opts.networkId }, () => true);
      if (m.ok) challenger.delivered(challengeIdOf(m.value.signingBytes), t);
    }
    return out;
  }

  return {
    challenger,
    issue,
    async info() {
      const epoch = opts.epoch();
      return {
        networkId: opts.networkId,
        epoch,
        nowMs: now(),
        ...(opts.heartbeatIntervalMs ? { heartbeatIntervalMs: opts.heartbeatIntervalMs } : {}),
        ...(opts.epochEndMs ? { epochEndMs: opts.epochEndMs(epoch) } : {}),
      };
    },
    async register(bytes) {
      const m = verifyMessage(bytes, { kind: "registration", networkId: opts.networkId }, verify);
      if (!m.ok) throw m.error;
      rejectIf(
        !!opts.isRegistered && !opts.isRegistered(m.value.signer),
        "UNKNOWN_DEVICE",
        "registration signer not registered",
      );
      state(m.value.signer).registration = m.value;
    },
    async heartbeat(bytes) {
      const m = verifyHeartbeat(bytes, opts.epoch());
      if (!m.ok) throw m.error;
      const s = state(m.value.signer);
      if (opts.heartbeatIntervalMs) {
        const index = now() / BigInt(opts.heartbeatIntervalMs);
        const w = s.heartbeatWindow;
        if (w.index !== index) [w.index, w.count] = [index, 0];
        if (w.count >= maxHeartbeats)
          throw new GatewayError(
            "RATE_LIMITED",
            `more than ${maxHeartbeats} heartbeats in one ${opts.heartbeatIntervalMs} ms interval`,
          );
        w.count++;
      }
      s.lastHeartbeat = m.value;
      opts.onHeartbeat?.(m.value);
      const sched = opts.schedule;
      if (sched?.types.length && now() >= s.nextChallengeAtMs && s.queue.length === 0) {
        s.nextChallengeAtMs = now() + BigInt(sched.intervalMs);
        try {
          issue(m.value.signer, sched.types[s.rotation++ % sched.types.length]!);
        } catch (e) {
          // Too many open challenges: skip this round; the heartbeat itself was fine.
          if (!(e instanceof AttestationError)) throw e;
        }
      }
    },
    async pollChallenges(deviceId, waitMs, signal) {
      rejectIf(deviceId.length !== 32, "MALFORMED", "deviceId");
      const s = devices.get(bytesToHex(deviceId));
      if (!s) return [];
      if (s.queue.length || waitMs <= 0 || closed) return drain(s);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          s.waiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        s.waiters.add(done);
        signal?.addEventListener("abort", done);
      });
      return drain(s);
    },
    async commit(bytes) {
      const r = challenger.onCommit(bytes, now());
      if (!r.ok) throw r.error;
      return { salt: r.value.salt };
    },
    async respond(bytes) {
      const v = challenger.onResponse(bytes, now());
      report(v);
      if (v.status === "rejected") throw v.error;
    },
    async payload(challengeId) {
      const p = challenger.payload(challengeId, now());
      if (!p) throw new GatewayError("NOT_FOUND", "no open bandwidth challenge with this id");
      return p;
    },
    tick() {
      const out = challenger.expire(now() - grace);
      for (const v of out) report(v);
      return out;
    },
    close() {
      closed = true;
      for (const s of devices.values()) for (const w of s.waiters) w();
    },
  };
}
