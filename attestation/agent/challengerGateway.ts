import { bytesToHex, equalBytes } from "../bytes";
import { Challenger, defaultDeadlineMs, type IssueParams, paramsFor } from "../challenges/challenger";
import type { StorageTarget } from "../challenges/storage";
import type { ChallengeTypeName } from "../constants";
import type { Ed25519Verify, Signer } from "../crypto/ed25519";
import { nodeVerify } from "../crypto/node";
import { AttestationError } from "../errors";
import { challengeIdOf } from "../hash";
import { createHeartbeatVerifier } from "../heartbeat";
import { isNoTicket } from "../messages/heartbeat";
import { type Message, verifyMessage } from "../messages/message";
import type { Verdict } from "../verdict";
import { type DeviceGateway, GatewayError } from "./gateway";
import { FALLBACK_POLICY_INTERVAL_MS } from "./gatewayClock";
import { type TicketCheck, TicketRing } from "./livenessTickets";
import { verifyPayloadRequest } from "./payloadRequest";
import { verifyPoll } from "./poll";

/** Default `maxClockSkewMs`: the production policy's (`attestation/policy/challengePolicy.ts` says why 15 s). */
const DEFAULT_MAX_CLOCK_SKEW_MS = 15_000;
/**
 * Default `ticketMaxAgeMs` beyond one heartbeat interval: time for the answer to reach the device
 * and its next heartbeat to come back (the production policy's 7.5 s is 5 s + this).
 */
const TICKET_REQUEST_SLACK_MS = 2_500;

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
  /**
   * The device's owner on chain (20 bytes), undefined if it is not registered. When given, a device
   * counts here only once its own signed registration names this owner: a registration naming
   * another is refused (MISMATCH), heartbeats before an accepted registration are refused
   * (UNKNOWN_DEVICE) and no challenge is issued to it. Whoever registered a device key on chain
   * first gains nothing by it: the key's holder signs the owner. Without it no owner is checked.
   */
  ownerOf?: (deviceId: Uint8Array) => Uint8Array | undefined;
  /**
   * The storage the device must hold, from the chain (its network's storage client registered it),
   * or undefined if none: then it is issued no storage challenge. Never taken from the device's
   * registration, whose storage fields are its own word (kept in the wire format, ignored here).
   */
  storageOf?: (deviceId: Uint8Array) => StorageTarget | undefined;
  /** Every registration with a valid signature: accepted, or refused with `refused`. */
  onRegistration?: (m: Message<"registration">, refused?: AttestationError) => void;
  /** Freshness window of a signed poll, ms (default `POLL_WINDOW_MS`). */
  pollWindowMs?: bigint;
  /** Issue challenges automatically on heartbeats: at most one per device per `intervalMs`, rotating `types`. */
  schedule?: { intervalMs: number; types: ChallengeTypeName[] };
  /** Deadline of an issued challenge, ms after issue: fixed, or per challenge (default `defaultDeadlineMs`). */
  ttlMs?: number | ((params: IssueParams) => number);
  /** Class-0 bandwidth payload, bytes (the network policy's; default `DEFAULT_BANDWIDTH_BASE_BYTES`). */
  bandwidthBaseBytes?: number;
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
  /**
   * Every accepted heartbeat, with what its echoed ticket proved here (already redeemed: a `fresh`
   * ticket is used up). Credit uptime for `fresh` only.
   */
  onHeartbeat?: (m: Message<"heartbeat">, ticket: TicketCheck) => void;
  /**
   * Oldest a liveness ticket may be when a heartbeat echoes it, ms (default one
   * `heartbeatIntervalMs`, or 5 s without one, plus 2.5 s).
   */
  ticketMaxAgeMs?: number;
  /**
   * Largest difference between a heartbeat's `timeMs` and this node's clock, ms; beyond it the
   * heartbeat is refused `DEADLINE` (default 15 s).
   */
  maxClockSkewMs?: number;
  /** Source of liveness tickets (tests); default `crypto.getRandomValues`. */
  random?: (n: number) => Uint8Array;
  /** Challenges queued per device awaiting a poll (bounded; oldest dropped). */
  maxQueued?: number;
  /** Devices tracked (registrations, queues); beyond it new devices are refused (default 100k). */
  maxDevices?: number;
}

export interface ChallengerGateway extends DeviceGateway {
  readonly challenger: Challenger;
  /**
   * Issues a challenge of `type` to a known device (parameters follow its claimed capabilities);
   * undefined if the device never registered or heartbeat here, if the deadline would fall after
   * the epoch's end (`epochEndMs`), or for storage if the chain holds no target for it (`storageOf`). Throws `AttestationError` OVERSIZED
   * when the challenger already holds its maximum of open challenges.
   */
  issue(deviceId: Uint8Array, type: ChallengeTypeName): Uint8Array | undefined;
  /** Closes challenges past deadline + grace as `missed`; call periodically. */
  tick(): Verdict[];
  /**
   * Checks (and, if fresh, uses up) a ticket echoed by a heartbeat that did not come through
   * `heartbeat()` (gossip, a batch): the same rule as for the device's own.
   */
  redeemTicket(deviceId: Uint8Array, ticket: Uint8Array): TicketCheck;
  /** Releases pending long-polls and stops timers. */
  close(): void;
}

interface DeviceState {
  /** The device's newest registration (the owner it signed, the capabilities it claimed). */
  registration: Message<"registration"> | null;
  lastHeartbeat: Message<"heartbeat"> | null;
  queue: Uint8Array[];
  waiters: Set<() => void>;
  nextChallengeAtMs: bigint;
  rotation: number;
  /** Heartbeats accepted in the current rate-limit window. */
  heartbeatWindow: { index: bigint; count: number };
  /** Time of the last poll accepted: a poll must be signed for a later one (no replay). */
  lastPollMs: bigint;
  /** The liveness tickets this node gave the device, newest last. */
  tickets: TicketRing;
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
  const maxSkew = BigInt(opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS);
  const ticketMaxAgeMs =
    opts.ticketMaxAgeMs ??
    (opts.heartbeatIntervalMs ?? FALLBACK_POLICY_INTERVAL_MS) + TICKET_REQUEST_SLACK_MS;
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
        lastPollMs: -1n,
        tickets: new TicketRing(opts.random),
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
    if (!s || !caps || (opts.ownerOf && !s.registration)) return undefined;
    const storage = type === "storage" ? opts.storageOf?.(deviceId) : undefined;
    if (type === "storage" && !storage) return undefined;
    const epoch = opts.epoch();
    const params = paramsFor(type, caps, opts.bandwidthBaseBytes);
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
      storage,
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

  function acceptRegistration(m: Message<"registration">): void {
    rejectIf(
      !!opts.isRegistered && !opts.isRegistered(m.signer),
      "UNKNOWN_DEVICE",
      "registration signer not registered",
    );
    if (opts.ownerOf) {
      const chain = opts.ownerOf(m.signer);
      if (!chain) throw new AttestationError("UNKNOWN_DEVICE", "registration signer not registered");
      rejectIf(
        !equalBytes(chain, m.body.owner),
        "MISMATCH",
        `registration names owner 0x${bytesToHex(m.body.owner)}, the chain holds 0x${bytesToHex(chain)}`,
      );
    }
    // Anyone can re-post a device's old signed registration. Only the newest counts: one from an
    // older epoch never replaces it (a later one in the same epoch does: the device's latest
    // word). One for an epoch not begun is refused, so a registration signed ahead cannot pin what
    // the device claims. Storage challenges never come from it (`storageOf`, the chain's target).
    const epoch = opts.epoch();
    rejectIf(m.epoch > epoch + 1n, "WRONG_EPOCH", `registration for epoch ${m.epoch}`);
    const s = state(m.signer);
    rejectIf(
      !!s.registration && m.epoch < s.registration.epoch,
      "REPLAY",
      `registration for epoch ${m.epoch}, one for epoch ${s.registration?.epoch} is held`,
    );
    s.registration = m;
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
        nodeKey: opts.signer.publicKey,
        ...(opts.heartbeatIntervalMs ? { heartbeatIntervalMs: opts.heartbeatIntervalMs } : {}),
        ...(opts.epochEndMs ? { epochEndMs: opts.epochEndMs(epoch) } : {}),
      };
    },
    async register(bytes) {
      const m = verifyMessage(bytes, { kind: "registration", networkId: opts.networkId }, verify);
      if (!m.ok) throw m.error;
      try {
        acceptRegistration(m.value);
      } catch (e) {
        if (e instanceof AttestationError) opts.onRegistration?.(m.value, e);
        throw e;
      }
      opts.onRegistration?.(m.value);
      return { ticket: state(m.value.signer).tickets.issue(now()) };
    },
    async heartbeat(bytes) {
      const m = verifyHeartbeat(bytes, opts.epoch());
      if (!m.ok) throw m.error;
      // Signed on the node's clock (the agent corrects its own by the skew it measured): one far
      // from it was signed at another time than it arrives (in advance, or held back) or by a clock
      // the device must measure again. Checked after the signature: the error is about a real heartbeat.
      const t = now();
      const skew = m.value.body.timeMs - t;
      rejectIf(
        skew > maxSkew || -skew > maxSkew,
        "DEADLINE",
        `heartbeat.timeMs is ${skew} ms off the node's clock (at most ±${maxSkew} ms skew)`,
      );
      const held = devices.get(bytesToHex(m.value.signer));
      // Uptime is credited to the owner the device signed; without its registration here, nobody.
      rejectIf(
        !!opts.ownerOf && !held?.registration,
        "UNKNOWN_DEVICE",
        "heartbeat: no registration accepted from this device here (register first)",
      );
      const s = held ?? state(m.value.signer);
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
      // Redeemed before the next ticket is drawn. Whatever the ticket proved, the heartbeat is
      // accepted and answered with a new one: a device that lost its ticket (a restart on either
      // side, a lost answer) earns uptime again from its next heartbeat.
      const ticket = s.tickets.redeem(m.value.body.ticket, t, ticketMaxAgeMs);
      opts.onHeartbeat?.(m.value, ticket);
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
      return { ticket: s.tickets.issue(t) };
    },
    async pollChallenges(poll, waitMs, signal) {
      const expect = { networkId: opts.networkId, nodeKey: opts.signer.publicKey, nowMs: now() };
      const p = verifyPoll(poll, { ...expect, windowMs: opts.pollWindowMs }, verify);
      if (!p.ok) throw p.error;
      const id = p.value.deviceId;
      // A registered device may poll before its registration reaches us: it waits like any other
      // (and its poll times are tracked from the first), so it neither spins nor misses a challenge.
      const registered = (opts.isRegistered?.(id) ?? true) && (!opts.ownerOf || !!opts.ownerOf(id));
      rejectIf(!registered, "UNKNOWN_DEVICE", "poll: device not registered");
      const s = state(id);
      rejectIf(
        p.value.timeMs <= s.lastPollMs,
        "REPLAY",
        `poll: signed for ${p.value.timeMs}, not after the last poll accepted (${s.lastPollMs})`,
      );
      s.lastPollMs = p.value.timeMs;
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
      // The device hung up: what is queued stays queued for its next poll.
      return signal?.aborted ? [] : drain(s);
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
    async payload(request) {
      const r = verifyPayloadRequest(request, verify);
      if (!r.ok) throw r.error;
      const p = challenger.payload(r.value.challengeId, now(), r.value.deviceId);
      if (!p) throw new GatewayError("NOT_FOUND", "no open bandwidth challenge with this id for this device");
      return p;
    },
    redeemTicket(deviceId, ticket) {
      const s = devices.get(bytesToHex(deviceId));
      if (s) return s.tickets.redeem(ticket, now(), ticketMaxAgeMs);
      return isNoTicket(ticket) ? "none" : "unknown";
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
