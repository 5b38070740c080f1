import { peerIdFromString } from "@libp2p/peer-id";
import type { Hono } from "hono";
import type { Logger } from "pino";
import { type Address, bytesToHex, type Hex, hexToBytes } from "viem";
import {
  type ChallengerGateway,
  createChallengerGateway,
  createGatewayRouter,
  type TicketCheck,
} from "../../attestation/agent/index";
import {
  type ChallengePolicy,
  type ChallengeRound,
  challengeDeadlineMs,
  challengeIdOf,
  challengeRounds,
  creditUnits,
  decodeMessage,
  type EvidenceJudges,
  FraudReason,
  HEADER_BYTES,
  HEARTBEAT_TICKET_BYTES,
  HEARTBEAT_TICKET_OFFSET,
  HEARTBEAT_TIME_OFFSET,
  type JudgesOf,
  keccak256,
  type Message,
  ROUND_LATE_MS,
  type Signer,
  type StorageTarget,
  type Verdict,
  verifyEvidenceFast,
  verifyMessageFast,
} from "../../attestation/index";
import type { ObservationSet } from "../agreement/types";
import type { NodeMetrics } from "../metrics";
import { EpochLedger } from "../observation/index";
import { type GossipMessage, type P2P, Validation } from "../p2p/index";
import { decodeChallengeGossip, encodeChallengeGossip } from "./gossipCodec";
import { VerifyPool } from "./verifyPool";

/** One DePIN network this node verifies, as the intake needs it (bound to cached chain state by the node). */
export interface IntakeNetwork {
  networkId: bigint;
  policy: ChallengePolicy;
  /** Epoch timing (seconds). */
  genesisTime: bigint;
  epochLength: number;
  /** Beacon of an epoch (bytes32) used to seed challenges. */
  beacon(epoch: bigint): Hex;
  /** Whether the device is registered and active on chain. */
  isRegistered(deviceId: Hex): boolean;
  /**
   * The device's owner on chain (its rewards go there), undefined if it is not registered. A device
   * counts here only once its own signed registration names this owner.
   */
  ownerOf(deviceId: Hex): Hex | undefined;
  /**
   * The storage the device must hold, as its network's storage client set it on chain (the node's
   * cached registry read), or undefined if none: then it gets no storage challenge. Storage is
   * judged against this, never against the storage fields of the device's own registration.
   */
  storageOf(deviceId: Hex): StorageTarget | undefined;
  /** Devices assigned to this node in the epoch. */
  assigned(epoch: bigint): ReadonlySet<Hex>;
  /**
   * The epoch's beacon and the challenger keys of the oracles assigned to a device in it, from this
   * node's view of the chain (the same assignment `assigned` comes from). Fraud evidence signed by
   * any other key, or seeded from another beacon, proves nothing here.
   */
  judges(epoch: bigint, deviceId: Hex): EvidenceJudges;
}

export interface IntakeOptions {
  networks: IntakeNetwork[];
  /** The node's Ed25519 identity (its libp2p key): signs challenges and evidence. */
  signer: Signer;
  /** The node's Ethereum signer address: the observer in its observation sets. */
  observer: Address;
  /** How often due challenges are issued and overdue ones expired. */
  tickMs?: number;
  now?: () => number;
  /**
   * Worker threads for batch heartbeat verification (`ingestHeartbeats`); 0 verifies on the main
   * thread. One per core the node may spend on intake.
   */
  verifyThreads?: number;
}

export interface IntakeModules {
  logger: Logger;
  metrics: NodeMetrics;
  /** Gossip; omitted in single-node use (tests, benchmarks). */
  p2p?: Pick<P2P, "topic" | "publish" | "subscribe">;
  /**
   * Told each attributable verdict (not `rejected`) with the epoch its challenge was issued in: the
   * node's live verdict stream. Called synchronously; it must not throw or wait.
   */
  onVerdict?: (networkId: bigint, epoch: bigint, verdict: Exclude<Verdict, { status: "rejected" }>) => void;
  /**
   * Told each fraud evidence bundle this node verified under the chain's assignment (its own fraud
   * verdicts and bundles accepted from gossip), so the node can keep it for the feed's evidence
   * route. Called synchronously; it must not throw or wait.
   */
  onEvidence?: (e: {
    networkId: bigint;
    epoch: bigint;
    deviceId: Hex;
    evidenceHash: Hex;
    bytes: Uint8Array;
  }) => void;
}

export interface Intake {
  /** Device gateway HTTP routers to mount: `/device/<networkId>` (and `/device` for the first network). */
  mounts: { path: string; app: Hono }[];
  /** The node-side gateway of a network (in-process device agents, tests). */
  gateway(networkId: bigint): ChallengerGateway;
  /** Ledger of a network epoch (created on first use). */
  ledger(networkId: bigint, epoch: bigint): EpochLedger;
  /** Ends an epoch: this node's observation set, and the ledger is dropped. */
  closeEpoch(networkId: bigint, epoch: bigint): ObservationSet;
  /** Issues due challenges and expires overdue ones now (normally on a timer). */
  tick(): void;
  /**
   * Bulk path: verifies a batch of signed heartbeats of one network epoch (on the worker pool when
   * `verifyThreads` > 0) and accepts the valid ones (signature, registration, clock skew); of those,
   * it credits uptime only to the ones echoing a fresh ticket of this node's, as every path does.
   * Invalid ones are counted and dropped.
   */
  ingestHeartbeats(
    networkId: bigint,
    epoch: bigint,
    messages: readonly Uint8Array[],
  ): Promise<{ accepted: number; rejected: number }>;
  /**
   * Who may judge a device of the network now: its assigned oracles, for the current epoch or the
   * one just closed only. What every check of fraud evidence on this node passes to the verifier.
   */
  evidenceJudges(networkId: bigint): JudgesOf;
  stop(): Promise<void>;
}

/** Epochs whose heartbeats are still accepted: the current one, and the previous one until it is closed. */
const EPOCH_SLACK = 1n;

/** Whether a heartbeat's signed time is further from `nowMs` than the network's `maxClockSkewMs`. */
function skewed(n: IntakeNetwork, timeMs: bigint, nowMs: number): boolean {
  const skew = timeMs - BigInt(nowMs);
  const max = BigInt(n.policy.maxClockSkewMs);
  return skew > max || -skew > max;
}

/**
 * The node side of the device transport: verifies heartbeats (node:crypto fast path) and gossips
 * accepted ones, schedules challenges for this node's assigned devices per the network's policy,
 * gossips issued challenges and fraud evidence, judges answers with `attestation/`, and keeps each
 * epoch's per-device uptime, work and fraud in an `EpochLedger`.
 */
export function createIntake(opts: IntakeOptions, modules: IntakeModules): Intake {
  const log = modules.logger.child({ module: "intake" });
  const { metrics, p2p } = modules;
  const now = opts.now ?? Date.now;
  const networks = new Map(opts.networks.map((n) => [n.networkId, n]));
  const ledgers = new Map<string, EpochLedger>();
  const closed = new Map<bigint, bigint>();
  const gateways = new Map<bigint, ChallengerGateway>();
  /** Per network: the current epoch's challenge rounds and the next one to issue. */
  const rounds = new Map<bigint, { epoch: bigint; list: ChallengeRound[]; next: number }>();
  /**
   * Per network, per device: its newest signed registration that named its owner on chain, from the
   * device or by gossip, and the epoch this node last gossiped it in. Only devices on chain enter,
   * so the registry's stakes bound it.
   */
  const owners = new Map<
    bigint,
    Map<Hex, { owner: Hex; epoch: bigint; bytes: Uint8Array; gossipedIn: bigint }>
  >();
  /** Owner mismatches already warned about, per device (on chain only, so bounded like `owners`). */
  const squats = new Map<Hex, string>();

  /**
   * Whether the device's own registration, naming the owner the chain holds, reached this node.
   * Nothing from a device is credited before: a heartbeat carries no owner, so until then whoever
   * registered the key on chain (a squatter) would be paid for it. Gossiped heartbeats are held to
   * the same rule, and registrations are gossiped too (`acceptOwner`), so a node the device does not
   * reach still credits what its peers relay.
   */
  function ownerAccepted(n: IntakeNetwork, deviceId: Hex): boolean {
    const held = owners.get(n.networkId)?.get(deviceId);
    return !!held && n.ownerOf(deviceId)?.toLowerCase() === held.owner;
  }

  /** Holds a verified registration (its owner already compared with the chain's); true if it is new. */
  function acceptOwner(m: Message<"registration">): boolean {
    const byDevice = owners.get(m.networkId)!;
    const deviceId = bytesToHex(m.signer);
    const held = byDevice.get(deviceId);
    if (held && held.epoch >= m.epoch) return false;
    const owner = bytesToHex(m.body.owner);
    byDevice.set(deviceId, { owner, epoch: m.epoch, bytes: m.bytes, gossipedIn: held?.gossipedIn ?? -1n });
    return true;
  }

  /**
   * Gossips the device's registration once per epoch, before its first heartbeat there (so a peer
   * that started since learns it within an epoch), and again with the next heartbeat if no peer got it.
   */
  function gossipOwner(networkId: bigint, deviceId: Hex, epoch: bigint) {
    const held = owners.get(networkId)?.get(deviceId);
    if (!p2p || !held || held.gossipedIn >= epoch) return;
    held.gossipedIn = epoch;
    const retry = () => {
      if (held.gossipedIn === epoch) held.gossipedIn = -1n;
    };
    p2p.publish(p2p.topic("attestations"), held.bytes).then(
      (recipients) => recipients > 0 || retry(),
      (err: unknown) => {
        retry();
        log.debug({ err }, "registration gossip failed");
      },
    );
  }

  const epochOf = (n: IntakeNetwork, ms = now()) => {
    const s = BigInt(Math.floor(ms / 1000));
    return s < n.genesisTime ? 0n : (s - n.genesisTime) / BigInt(n.epochLength);
  };
  const epochStartMs = (n: IntakeNetwork, epoch: bigint) =>
    (n.genesisTime + epoch * BigInt(n.epochLength)) * 1000n;

  function ledger(networkId: bigint, epoch: bigint): EpochLedger {
    const key = `${networkId}:${epoch}`;
    let l = ledgers.get(key);
    if (!l) {
      const n = networks.get(networkId);
      if (!n) throw new Error(`intake does not serve network ${networkId}`);
      l = new EpochLedger({
        networkId,
        epoch,
        startMs: Number(epochStartMs(n, epoch)),
        lengthMs: n.epochLength * 1000,
        heartbeatIntervalMs: n.policy.heartbeatIntervalMs,
        assigned: n.assigned(epoch),
        maxMissFraction: n.policy.maxMissFraction,
      });
      ledgers.set(key, l);
    }
    return l;
  }

  const isOpen = (networkId: bigint, epoch: bigint) => {
    const last = closed.get(networkId);
    return last === undefined || epoch > last;
  };

  /**
   * Credits a valid heartbeat; true if it filled an uptime slot that had none yet. `ticket`: what
   * its echoed ticket proved at the gateway (a device's own heartbeat); a gossiped one is checked here.
   */
  function creditHeartbeat(
    m: Message<"heartbeat">,
    source: "device" | "gossip",
    ticket?: TicketCheck,
  ): boolean {
    if (!isOpen(m.networkId, m.epoch)) return false;
    const deviceId = bytesToHex(m.signer);
    if (!ownerAccepted(networks.get(m.networkId)!, deviceId)) {
      metrics.attestations.inc({ source, outcome: "unregistered" });
      return false;
    }
    // Uptime only from a fresh answer to this node: the heartbeat echoes a ticket this node gave this
    // device, unused and young (the gateway's rule). A gossiped heartbeat echoing another node's
    // ticket is relayed but credits nothing here: that ticket is only its issuer's word, which no
    // one else can check. An oracle colluding with a device could otherwise mint tickets for a device
    // that is gone (fixed in advance, echoed by heartbeats the device pre-signed) and have every
    // observer credit it; crediting only our own tickets keeps one liar's effect inside the median of
    // the device's observers.
    const proof = ticket ?? gateways.get(m.networkId)!.redeemTicket(m.signer, m.body.ticket);
    if (proof !== "fresh") {
      metrics.attestations.inc({ source, outcome: "unticketed" });
      return false;
    }
    const id = bytesToHex(keccak256(m.bytes));
    const credited = ledger(m.networkId, m.epoch).heartbeat(deviceId, now(), id);
    metrics.attestations.inc({ source, outcome: credited ? "credited" : "accepted" });
    return credited;
  }

  function onIssue(c: Message<"challenge">) {
    if (!isOpen(c.networkId, c.epoch)) return;
    const challengeId = bytesToHex(challengeIdOf(c.signingBytes));
    const n = networks.get(c.networkId)!;
    ledger(c.networkId, c.epoch).issued(bytesToHex(c.body.deviceId), challengeId, creditUnits(n.policy, c));
  }

  /** The open ledger of the epoch in which this node issued the challenge. */
  function ledgerOfChallenge(networkId: bigint, challengeId: Hex): EpochLedger | undefined {
    for (const l of ledgers.values()) if (l.networkId === networkId && l.hasIssued(challengeId)) return l;
    return undefined;
  }

  function onVerdict(networkId: bigint, v: Verdict) {
    metrics.challenges.inc({ outcome: v.status });
    if (v.status === "rejected") return;
    const deviceId = bytesToHex(v.deviceId);
    // The challenge's own epoch: a verdict judged after a boundary still belongs to the epoch it was
    // issued in. Late, missed and fraud need no work entry: the issue already counts as failed.
    const issuedIn = ledgerOfChallenge(networkId, bytesToHex(v.challengeId));
    if (v.status === "pass") issuedIn?.passed(bytesToHex(v.challengeId));
    // Not answered in time: the device was not serving when the answer was due, heartbeats or not.
    if (v.status === "late" || v.status === "missed") issuedIn?.down(deviceId, Number(v.deadlineMs));
    if (v.status === "fraud") {
      const l = issuedIn ?? ledger(networkId, epochOf(networks.get(networkId)!));
      l.fraud(deviceId, {
        reason: FraudReason[v.reason],
        evidence: v.evidence,
        evidenceHash: bytesToHex(v.evidenceHash),
      });
      // The bundle's own epoch (its challenge's), which the slash on chain names.
      const bundle = decodeMessage(v.evidence);
      modules.onEvidence?.({
        networkId,
        epoch: bundle.ok ? bundle.value.epoch : l.options.epoch,
        deviceId,
        evidenceHash: bytesToHex(v.evidenceHash),
        bytes: v.evidence,
      });
      log.warn({ networkId, deviceId, reason: v.reason, detail: v.detail }, "fraud proven");
      publish("challenges", encodeChallengeGossip("evidence", v.evidence));
    }
    const epoch =
      issuedIn?.options.epoch ?? (v.status === "fraud" ? epochOf(networks.get(networkId)!) : undefined);
    // A verdict on a challenge whose epoch closed already is left out: its line is being agreed.
    if (epoch !== undefined) modules.onVerdict?.(networkId, epoch, v);
  }

  /**
   * Fraud evidence counts only from an oracle the chain assigned to the device, for the current
   * epoch or the one just closed. Threat: any key (a stranger, a registered oracle watching other
   * devices) signing an exchange it staged, or an old bundle replayed epochs later to open ledgers
   * and slash again; neither may reach a ledger or the slashing workflow.
   */
  function evidenceJudges(networkId: bigint): JudgesOf {
    return ({ epoch, deviceId }) => {
      const n = networks.get(networkId);
      if (!n) return `network ${networkId} is not served here`;
      const current = epochOf(n);
      if (epoch > current || epoch + EPOCH_SLACK < current)
        return `evidence of epoch ${epoch}, the current epoch is ${current}`;
      return n.judges(epoch, bytesToHex(deviceId));
    };
  }

  function publish(kind: "attestations" | "challenges", data: Uint8Array) {
    if (!p2p) return;
    // No peers yet is normal at start-up; gossip is best effort, the device also talks to each assigned node.
    p2p
      .publish(p2p.topic(kind), data)
      .catch((err: unknown) => log.debug({ err, kind }, "gossip publish failed"));
  }

  for (const n of opts.networks) {
    const gateway = createChallengerGateway({
      networkId: n.networkId,
      signer: opts.signer,
      epoch: () => epochOf(n),
      epochEndMs: (epoch) => epochStartMs(n, epoch + 1n),
      beacon: (epoch) => hexToBytes(n.beacon(epoch)),
      now: () => BigInt(now()),
      isRegistered: (deviceId) => n.isRegistered(bytesToHex(deviceId)),
      storageOf: (deviceId) => n.storageOf(bytesToHex(deviceId)),
      ownerOf: (deviceId) => {
        const owner = n.ownerOf(bytesToHex(deviceId));
        return owner === undefined ? undefined : hexToBytes(owner);
      },
      onRegistration: (m, refused) => {
        const deviceId = bytesToHex(m.signer);
        if (!refused) {
          if (acceptOwner(m)) log.debug({ networkId: n.networkId, deviceId }, "registration accepted");
          gossipOwner(n.networkId, deviceId, epochOf(n));
        } else if (refused.code === "MISMATCH" && squats.get(deviceId) !== refused.check) {
          // Someone else registered this key on chain (a squat), or the device names a wrong owner:
          // it earns nothing here until the chain and its registration agree. Warned once; the
          // device retries with every heartbeat.
          squats.set(deviceId, refused.check);
          log.warn({ networkId: n.networkId, deviceId, check: refused.check }, "registration refused");
        } else log.debug({ networkId: n.networkId, deviceId, check: refused.check }, "registration refused");
      },
      ttlMs: (params) => challengeDeadlineMs(n.policy, params),
      bandwidthBaseBytes: n.policy.bandwidthBaseBytes,
      heartbeatIntervalMs: n.policy.heartbeatIntervalMs,
      maxHeartbeatsPerInterval: n.policy.maxHeartbeatsPerInterval,
      ticketMaxAgeMs: n.policy.ticketMaxAgeMs,
      maxClockSkewMs: n.policy.maxClockSkewMs,
      onIssue,
      onVerdict: (v) => onVerdict(n.networkId, v),
      onHeartbeat: (m, ticket) => {
        // One heartbeat per device and slot is worth gossiping; the rest add nothing anywhere.
        if (!creditHeartbeat(m, "device", ticket)) return;
        gossipOwner(n.networkId, bytesToHex(m.signer), m.epoch);
        publish("attestations", m.bytes);
      },
    });
    gateways.set(n.networkId, gateway);
    owners.set(n.networkId, new Map());
  }

  // Gossip: heartbeats from devices that reached another node, challenges, and fraud evidence.
  const unsubscribe: (() => void)[] = [];
  if (p2p) {
    unsubscribe.push(
      p2p.subscribe(p2p.topic("attestations"), validateAttestationGossip, (msg) => {
        const m = decodeMessage(msg.data);
        if (m.ok && m.value.kind === "heartbeat") creditHeartbeat(m.value as Message<"heartbeat">, "gossip");
        if (m.ok && m.value.kind === "registration") acceptOwner(m.value as Message<"registration">);
      }),
      p2p.subscribe(p2p.topic("challenges"), validateChallengeGossip, (msg) => {
        const g = decodeChallengeGossip(msg.data);
        if (g?.kind !== "evidence") return;
        const decoded = decodeMessage(g.message);
        if (!decoded.ok) return;
        const networkId = decoded.value.networkId;
        const proven = verifyEvidenceFast(g.message, { networkId, judges: evidenceJudges(networkId) });
        if (!proven.ok) return;
        // Kept even for a closed epoch: the slashing workflow may still apply it (the tap).
        modules.onEvidence?.({
          networkId,
          epoch: proven.value.epoch,
          deviceId: bytesToHex(proven.value.deviceId),
          evidenceHash: bytesToHex(proven.value.evidenceHash),
          bytes: g.message,
        });
        // A closed epoch's ledger is gone: the bundle still reaches the slashing workflow (the tap).
        if (!isOpen(networkId, proven.value.epoch)) return;
        ledger(proven.value.networkId, proven.value.epoch).fraud(bytesToHex(proven.value.deviceId), {
          reason: proven.value.reasonCode,
          evidence: g.message,
          evidenceHash: bytesToHex(proven.value.evidenceHash),
        });
      }),
    );
  }

  /** Heartbeats, and the registrations that let them be credited (see `ownerAccepted`). */
  function validateAttestationGossip(msg: GossipMessage): Validation {
    const decoded = decodeMessage(msg.data);
    if (decoded.ok && decoded.value.kind === "registration") return validateRegistrationGossip(msg.data);
    if (!decoded.ok || decoded.value.kind !== "heartbeat") {
      metrics.attestations.inc({ source: "gossip", outcome: "rejected" });
      return Validation.Reject;
    }
    const n = networks.get(decoded.value.networkId);
    if (!n) return Validation.Ignore;
    const current = epochOf(n);
    const epoch = decoded.value.epoch;
    if (epoch > current || epoch + EPOCH_SLACK < current) return Validation.Ignore;
    const verified = verifyMessageFast(msg.data, { kind: "heartbeat", networkId: n.networkId, epoch });
    if (!verified.ok) {
      metrics.attestations.inc({ source: "gossip", outcome: "rejected" });
      return Validation.Reject;
    }
    // The gateway's clock rule. Far from our clock may be the relay's clock, not its fault: IGNORE.
    if (skewed(n, (verified.value as Message<"heartbeat">).body.timeMs, now())) return Validation.Ignore;
    // The relaying node may know of a registration we have not read yet: not its fault, so IGNORE.
    if (!n.isRegistered(bytesToHex(decoded.value.signer))) return Validation.Ignore;
    return Validation.Accept;
  }

  function validateRegistrationGossip(data: Uint8Array): Validation {
    const decoded = decodeMessage(data);
    const n = decoded.ok ? networks.get(decoded.value.networkId) : undefined;
    if (!n) return Validation.Ignore;
    const m = verifyMessageFast(data, { kind: "registration", networkId: n.networkId });
    if (!m.ok) return Validation.Reject;
    // The gateway's epoch rule: none signed for an epoch not begun.
    if (m.value.epoch > epochOf(n) + 1n) return Validation.Ignore;
    // Not registered or another owner in our view of the chain: the relay may have read it at
    // another block (not its fault), so IGNORE; nothing is credited either way.
    const owner = n.ownerOf(bytesToHex(m.value.signer))?.toLowerCase();
    const named = bytesToHex((m.value as Message<"registration">).body.owner);
    return owner === named ? Validation.Accept : Validation.Ignore;
  }

  function validateChallengeGossip(msg: GossipMessage): Validation {
    const g = decodeChallengeGossip(msg.data);
    if (!g) return Validation.Reject;
    const decoded = decodeMessage(g.message);
    if (!decoded.ok) return Validation.Reject;
    if (!networks.has(decoded.value.networkId)) return Validation.Ignore;
    if (g.kind === "challenge") {
      if (decoded.value.kind !== "challenge") return Validation.Reject;
      // A challenge must be signed by the node that gossips it: its libp2p identity key.
      const sender = peerIdFromString(msg.from).publicKey?.raw;
      const ok = verifyMessageFast(g.message, {
        kind: "challenge",
        networkId: decoded.value.networkId,
        signer: sender,
      });
      return ok.ok && sender ? Validation.Accept : Validation.Reject;
    }
    const networkId = decoded.value.networkId;
    // A bundle whose content proves nothing is the sender's fault: REJECT. One from a challenger this
    // node does not see assigned, or outside its epoch window, may be an honest relay reading the
    // chain at another block: IGNORE (neither relayed nor used). One verification decides both: the
    // judge is checked before the fraud is recomputed, so an unassigned bundle costs no recomputation.
    const proven = verifyEvidenceFast(g.message, { networkId, judges: evidenceJudges(networkId) });
    if (proven.ok) return Validation.Accept;
    return proven.error.code === "NOT_ASSIGNED" ? Validation.Ignore : Validation.Reject;
  }

  /**
   * Issues the rounds that came due (`challengeRounds`): every device this node watches gets the
   * round's challenge now, as it does from every other assigned node. A round more than
   * `ROUND_LATE_MS` overdue (the node was down or stalled) is skipped, not issued late: a late round
   * would no longer be simultaneous with the other nodes'.
   */
  function tick() {
    const t = now();
    for (const n of opts.networks) {
      const gateway = gateways.get(n.networkId)!;
      gateway.tick();
      if (n.policy.types.length === 0) continue;
      const epoch = epochOf(n, t);
      let r = rounds.get(n.networkId);
      if (!r || r.epoch !== epoch) {
        const list = challengeRounds(
          n.policy,
          hexToBytes(n.beacon(epoch)),
          Number(epochStartMs(n, epoch)),
          n.epochLength * 1000,
        );
        r = { epoch, list, next: 0 };
        rounds.set(n.networkId, r);
      }
      while (r.next < r.list.length && r.list[r.next]!.atMs <= t) {
        const round = r.list[r.next++]!;
        if (t - round.atMs > ROUND_LATE_MS) {
          metrics.challenges.inc({ outcome: "round_skipped" });
          continue;
        }
        for (const deviceId of n.assigned(epoch)) {
          // Not issued: the device has not registered or heartbeated here yet, or has no storage
          // target for a storage round. Nothing is counted against it.
          const challenge = gateway.issue(hexToBytes(deviceId), round.type);
          if (!challenge) continue;
          metrics.challenges.inc({ outcome: "issued" });
          publish("challenges", encodeChallengeGossip("challenge", challenge));
        }
      }
    }
  }
  const pool = opts.verifyThreads ? new VerifyPool({ threads: opts.verifyThreads }) : undefined;
  // Header layout (attestation/constants.ts): magic 4 | version 1 | kind 1 | networkId 8 | epoch 8 | signer 32.
  const SIGNER_OFFSET = 22;
  const TIME_OFFSET = HEADER_BYTES + HEARTBEAT_TIME_OFFSET;
  const TICKET_OFFSET = HEADER_BYTES + HEARTBEAT_TICKET_OFFSET;
  async function ingestHeartbeats(networkId: bigint, epoch: bigint, messages: readonly Uint8Array[]) {
    const n = networks.get(networkId);
    if (!n) throw new Error(`intake does not serve network ${networkId}`);
    const ok = pool
      ? await pool.verify(messages, networkId, epoch)
      : Uint8Array.from(messages, (m) =>
          verifyMessageFast(m, { kind: "heartbeat", networkId, epoch }).ok ? 1 : 0,
        );
    let accepted = 0;
    const open = isOpen(networkId, epoch);
    const l = open ? ledger(networkId, epoch) : undefined;
    const gateway = gateways.get(networkId)!;
    const t = now();
    for (let i = 0; i < messages.length; i++) {
      if (!ok[i]) continue;
      const m = messages[i]!;
      // Buffer's hex/base64 are native, several times faster than a JS hex loop on this hot path.
      const raw = Buffer.from(m.buffer, m.byteOffset, m.byteLength);
      const deviceId = `0x${raw.toString("hex", SIGNER_OFFSET, SIGNER_OFFSET + 32)}` as Hex;
      if (!n.isRegistered(deviceId) || !ownerAccepted(n, deviceId)) continue;
      // The gateway's clock rule; verified heartbeats only, so the body's fixed fields are where the
      // encoding puts them.
      if (skewed(n, raw.readBigUInt64BE(TIME_OFFSET), t)) continue;
      accepted++;
      // The same rule as every other path (see creditHeartbeat): uptime only for a fresh ticket of
      // this node's own, redeemed only while the epoch's ledger is open.
      const ticket = m.subarray(TICKET_OFFSET, TICKET_OFFSET + HEARTBEAT_TICKET_BYTES);
      if (!l || gateway.redeemTicket(m.subarray(SIGNER_OFFSET, SIGNER_OFFSET + 32), ticket) !== "fresh")
        continue;
      // Ed25519 signatures are deterministic: the signature identifies the heartbeat for de-duplication.
      l.heartbeat(deviceId, t, raw.toString("base64", m.length - 64));
    }
    metrics.attestations.inc({ source: "batch", outcome: "accepted" }, accepted);
    metrics.attestations.inc({ source: "batch", outcome: "rejected" }, messages.length - accepted);
    return { accepted, rejected: messages.length - accepted };
  }

  const timer = setInterval(tick, opts.tickMs ?? 250);
  timer.unref();

  const mounts = opts.networks.flatMap((n, i) => {
    const router = createGatewayRouter(gateways.get(n.networkId)!) as unknown as Hono;
    const own = { path: `/device/${n.networkId}`, app: router };
    return i === 0 ? [own, { path: "/device", app: router }] : [own];
  });

  return {
    mounts,
    gateway(networkId) {
      const g = gateways.get(networkId);
      if (!g) throw new Error(`intake does not serve network ${networkId}`);
      return g;
    },
    ledger,
    closeEpoch(networkId, epoch) {
      const observation = ledger(networkId, epoch).observation(opts.observer);
      const last = closed.get(networkId);
      if (last === undefined || epoch > last) closed.set(networkId, epoch);
      for (const key of [...ledgers.keys()]) {
        const [net, e] = key.split(":");
        if (BigInt(net!) === networkId && BigInt(e!) <= epoch) ledgers.delete(key);
      }
      // Devices gone from the chain (exited, withdrawn) are credited nothing anyway: forget them.
      const n = networks.get(networkId);
      const byDevice = owners.get(networkId);
      if (n && byDevice)
        for (const id of [...byDevice.keys()]) if (n.ownerOf(id) === undefined) byDevice.delete(id);
      return observation;
    },
    tick,
    ingestHeartbeats,
    evidenceJudges,
    async stop() {
      clearInterval(timer);
      for (const u of unsubscribe) u();
      for (const g of gateways.values()) g.close();
      await pool?.close();
    },
  };
}
