import type { Logger } from "pino";
import { bytesToHex } from "../bytes";
import { computeSampleIndices } from "../challenges/compute";
import { storageSampleIndices } from "../challenges/storage";
import type { Ed25519Verify, Signer } from "../crypto/ed25519";
import { nodeVerify } from "../crypto/node";
import {
  answerBandwidth,
  answerLatency,
  answerStorage,
  checkChallenge,
  checkChallenger,
  checkStorageTarget,
  type DeviceBehaviour,
  finishCompute,
  startCompute,
} from "../device";
import { AttestationError } from "../errors";
import type { EvidenceJudges } from "../evidence";
import { challengeIdOf } from "../hash";
import type { Capabilities } from "../messages/capabilities";
import { noTicket } from "../messages/heartbeat";
import { type Message, verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import { type ChallengePolicy, type ChallengeRound, RoundGuard } from "../policy/index";
import { openReplicaFile, type ReplicaFile } from "../storage/replicaFile";
import { type DeviceGateway, GatewayError, type GatewayInfo } from "./gateway";
import {
  FALLBACK_POLICY_INTERVAL_MS,
  type GatewayClock,
  type GatewayTiming,
  gatewayClock,
  isClockRefused,
  isWrongEpoch,
} from "./gatewayClock";
import { heartbeatRetryDelayMs, nextHeartbeatAtMs } from "./heartbeatSchedule";
import { signPayloadRequest } from "./payloadRequest";
import { signPoll } from "./poll";

/** Deviations from honest behaviour, for the fleet simulator's cheating devices. */
export interface AgentBehaviour extends DeviceBehaviour {
  /** Never send a fresh heartbeat: replay one signed for the previous epoch (or another network). */
  replayHeartbeats?: boolean;
  /** While true (ms since start), the device sends nothing and polls nothing. */
  offline?: (elapsedMs: number) => boolean;
  /** Extra delay before answering each challenge, ms (a slow device or a relay to other hardware). */
  responseDelayMs?: number;
  /** Extra delay before answering, as a function of the challenge (e.g. a share of its deadline). */
  answerDelayMs?: (challenge: Message<"challenge">) => number;
  /** Rows skipped or chunks lost: stay silent (a miss) instead of opening them (a proof of fraud). */
  silentWhenCaught?: boolean;
  /**
   * Sign heartbeats for the coming epochs in advance and answer no challenge: the signed heartbeats
   * are then posted on time by someone else while the device is gone.
   */
  preSignHeartbeats?: boolean;
  /** Also poll these devices' challenges from every node and drop them (a challenge thief). */
  stealFrom?: Uint8Array[];
  /**
   * The simulated hardware the device runs on (the fleet's `Machine`): compute and payload transfers
   * take its time, one job at a time, so keys sharing one machine share its time.
   */
  machine?: SimulatedMachine;
  /**
   * Compute is relayed to this machine instead (stronger hardware elsewhere), where each relayed
   * challenge waits behind `ownJobs` jobs of the device that machine is registered as: its own
   * challenges come in the same round, and reach it a network hop before the relayed ones.
   */
  relay?: { machine: SimulatedMachine; ownJobs: number };
}

/** What the agent needs of simulated hardware (`attestation/fleet/hardware.ts` `Machine`). */
export interface SimulatedMachine {
  computeMs(challenge: Message<"challenge">): number;
  transferMs(challenge: Message<"challenge">, claimedClass: number): number;
  busy(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Who may challenge a device in an epoch, from a source the device checks by itself: the chain
 * (`createChainAssignment`), never the node that delivers the challenge. One source may serve many
 * devices (it reads per epoch, not per device).
 */
export interface AssignmentSource {
  /** The network whose assignment it reads: a challenge for another network is refused. */
  readonly networkId: bigint;
  /**
   * The epoch's pinned beacon and the Ed25519 keys of the oracles assigned to `deviceId` in it, or
   * undefined when the source cannot tell now (the chain unreachable). Never rejects.
   */
  challengersOf(epoch: bigint, deviceId: Uint8Array): Promise<EvidenceJudges | undefined>;
  /**
   * The epoch's challenge rounds under the network's policy, from the chain (policy id, epoch
   * timing, the epoch's beacon), or undefined when the source cannot tell now. Never rejects.
   * Without it a device does not hold its challengers to the rounds.
   */
  roundsOf?(epoch: bigint): Promise<{ policy: ChallengePolicy; rounds: ChallengeRound[] } | undefined>;
}

/** Where an agent learns the nodes to serve while it runs (the gateway directory: docs/attestation.md, "Gateway discovery"). */
export interface GatewaySource {
  /**
   * The gateways to serve now, keyed by something stable (their URL): a key that appears is
   * connected, one that goes away is disconnected. Undefined while the source cannot tell (the
   * chain or every bootstrap unreachable): the agent keeps what it runs.
   */
  current(deviceId: Uint8Array): Promise<Map<string, DeviceGateway> | undefined>;
  /** How often to ask, ms (default 2 s). */
  refreshMs?: number;
}

export interface DeviceAgentOptions {
  signer: Signer;
  /** 20-byte owner address (claims the rewards). */
  owner: Uint8Array;
  capabilities: Capabilities;
  /**
   * The replica the device keeps (its network's storage client wrote it and registered its root on
   * chain): a file of `chunks` × `chunkBytes` bytes. Read once at start to rebuild its Merkle tree,
   * then only the sampled chunks per challenge. Omit for none: storage challenges go unanswered.
   */
  storage?: { file: string; chunks: number; chunkBytes: number };
  /** A fixed list of nodes (trusted as given: without `gatewaySource`, the device's nodes). */
  gateways: DeviceGateway[];
  /**
   * Nodes learned while running (`discoveredGateways`: the device's assigned nodes, verified against
   * the chain), served on top of `gateways`; followed every `refreshMs`.
   */
  gatewaySource?: GatewaySource;
  /**
   * Fixed heartbeat period, ms (tests). Default: two heartbeats in every uptime slot of each node's
   * policy interval (`info()`), a quarter and three quarters in, on the node's clock
   * (`heartbeatSchedule.ts`); a failed one is retried once within its half slot.
   */
  heartbeatIntervalMs?: number;
  pollWaitMs?: number;
  behaviour?: AgentBehaviour;
  /** Verifies challenge signatures (default node:crypto). */
  verify?: Ed25519Verify;
  /**
   * The chain's assignment: with it, a challenge is answered only when its signer is an oracle
   * assigned to this device in the challenge's epoch and it is seeded from that epoch's beacon
   * (refused NOT_ASSIGNED otherwise). While the source cannot tell (chain unreachable) challenges
   * are answered unchecked, logged at debug and counted in `challengesUnchecked`: refusing would
   * cost an honest device its challenges during an outage, and answering cannot make it slashable
   * (docs/attestation.md, "Framing"). Without it, any challenger's key is accepted.
   */
  assignment?: AssignmentSource;
  logger?: Logger;
}

export interface DeviceAgentStats {
  heartbeatsSent: number;
  heartbeatsRejected: number;
  challengesAnswered: number;
  /** Challenges it chose not to answer (a cheat staying silent). */
  challengesSilent: number;
  /**
   * Challenges it refused because a check before signing failed (bad signature, another device,
   * epoch or deadline out of range, a salt that does not open `saltHash`, a payload that does not
   * match `payloadHash`, storage that is not its own): nothing was signed, each is logged with why.
   */
  challengesRefused: number;
  /** Other devices' challenges it took (a thief). */
  challengesStolen: number;
  /** Challenges it answered without checking the challenger: the assignment source could not tell. */
  challengesUnchecked: number;
  errors: number;
}

export interface DeviceAgent {
  readonly deviceId: Uint8Array;
  readonly stats: DeviceAgentStats;
  stop(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });

/**
 * Longest an answer waits on the assignment source, ms: a chain that hangs must not make the device
 * miss its deadlines; past it the assignment counts as unknown (the read goes on and is cached).
 */
const ASSIGNMENT_WAIT_MS = 2_000;

/** `p`, or undefined once `ms` have passed. */
function within<T>(ms: number, p: Promise<T | undefined>): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** A device-side check refused a challenge (`reason` says which); nothing was signed for it. */
class ChallengeRefused extends Error {
  constructor(
    readonly reason: AttestationError,
    readonly challenge: Message<"challenge"> | null,
  ) {
    super(reason.message);
  }
}

/** Runs a device-side check or signing step: an `AttestationError` there is the device refusing the challenge. */
function checked<T>(challenge: Message<"challenge">, step: () => T): T {
  try {
    return step();
  } catch (e) {
    throw e instanceof AttestationError ? new ChallengeRefused(e, challenge) : e;
  }
}

/** The node no longer holds the device's registration (it restarted, or never took it): send it again. */
const isUnregistered = (err: unknown): boolean =>
  (err instanceof AttestationError && err.code === "UNKNOWN_DEVICE") ||
  (err instanceof GatewayError && err.check.startsWith("UNKNOWN_DEVICE"));

/** The node refused a heartbeat over its per-device rate: sending it again at once would be refused too. */
const isRateLimited = (err: unknown): boolean => err instanceof GatewayError && err.code === "RATE_LIMITED";

/** `info()` and the node's clock minus ours, ms (its `nowMs` against the midpoint of the request). */
async function measuredInfo(gw: DeviceGateway): Promise<{ info: GatewayInfo; skewMs: number }> {
  const asked = Date.now();
  const info = await gw.info();
  return { info, skewMs: Number(info.nowMs) - Math.round((asked + Date.now()) / 2) };
}

/**
 * Signs polls for one node: bound to its network and key, on its clock (the skew measured with
 * `info()`, measured again after a refused poll), each for a later time than the last, as the
 * node requires.
 */
function pollSigner(gw: DeviceGateway, first: { info: GatewayInfo; skewMs: number }) {
  let { info, skewMs } = first;
  let last = 0n;
  let stale = false;
  return {
    async sign(signer: Signer): Promise<Uint8Array> {
      if (stale) ({ info, skewMs } = await measuredInfo(gw));
      stale = false;
      const t = BigInt(Date.now() + skewMs);
      last = t > last ? t : last + 1n;
      const nodeKey = info.nodeKey ?? new Uint8Array(32);
      return signPoll({ networkId: info.networkId, nodeKey, timeMs: last }, signer);
    },
    refused() {
      stale = true;
    },
  };
}

/**
 * Runs a device: registers with each assigned node, sends heartbeats, long-polls each node for
 * challenges and answers them with real computation. One loop per gateway; errors are counted and
 * logged and the loop goes on (a node being down must not stop the device).
 */
export function startDeviceAgent(opts: DeviceAgentOptions): DeviceAgent {
  const verify = opts.verify ?? nodeVerify;
  const b = opts.behaviour ?? {};
  const log = opts.logger;
  const interval = opts.heartbeatIntervalMs ?? 5_000;
  const pollWait = opts.pollWaitMs ?? 20_000;
  const abort = new AbortController();
  const started = Date.now();
  const offline = () => b.offline?.(Date.now() - started) ?? false;
  const rounds = new RoundGuard();
  const stats: DeviceAgentStats = {
    heartbeatsSent: 0,
    heartbeatsRejected: 0,
    challengesAnswered: 0,
    challengesSilent: 0,
    challengesRefused: 0,
    challengesStolen: 0,
    challengesUnchecked: 0,
    errors: 0,
  };
  const fail = (what: string, err: unknown) => {
    stats.errors++;
    log?.warn({ err: err instanceof Error ? err.message : String(err) }, what);
  };
  // The replica's tree, rebuilt from its file once; a file that cannot be read is an error logged
  // here, and storage challenges then go unanswered.
  const replica: Promise<ReplicaFile | null> = opts.storage
    ? openReplicaFile(opts.storage.file, opts.storage.chunks, opts.storage.chunkBytes).catch(
        (err: unknown) => {
          fail("storage replica", err);
          return null;
        },
      )
    : Promise.resolve(null);

  async function runGateway(gw: DeviceGateway, signal: AbortSignal): Promise<void> {
    let first: Awaited<ReturnType<typeof measuredInfo>> | null = null;
    while (!signal.aborted && !first) {
      try {
        first = await measuredInfo(gw);
      } catch (e) {
        fail("gateway info", e);
        await sleep(interval, signal);
      }
    }
    if (!first) return;
    const networkId = first.info.networkId;
    if (opts.assignment && opts.assignment.networkId !== networkId)
      log?.error(
        { node: networkId, chain: opts.assignment.networkId },
        "node serves another network than the chain assignment: every challenge from it will be refused",
      );
    // One view of the node's epoch and clock per node, shared: heartbeats sign for its epoch,
    // challenges are checked against its epoch and clock.
    const clock = gatewayClock(gw);
    const thefts = (b.stealFrom ?? []).map((victim) => stealLoop(gw, pollSigner(gw, first), victim, signal));
    await Promise.all([
      heartbeatLoop(gw, networkId, clock, signal),
      challengeLoop(gw, networkId, clock, pollSigner(gw, first), signal),
      ...thefts,
    ]);
  }

  /**
   * A challenge thief: polls another device's challenges to drain its queue. It cannot sign as the
   * victim, so it signs the victim's polls with its own key: the node must refuse every one.
   */
  async function stealLoop(
    gw: DeviceGateway,
    polls: ReturnType<typeof pollSigner>,
    victim: Uint8Array,
    signal: AbortSignal,
  ): Promise<void> {
    const posing: Signer = { publicKey: victim, sign: (m) => opts.signer.sign(m) };
    while (!signal.aborted) {
      try {
        const taken = await gw.pollChallenges(await polls.sign(posing), pollWait, signal);
        stats.challengesStolen += taken.length;
      } catch (e) {
        if (signal.aborted) return;
        polls.refused();
        fail("steal", e);
        await sleep(interval, signal);
      }
    }
  }

  /**
   * Heartbeats signed ahead of time for the coming epochs (sequence numbers in order), handed out
   * one per tick as if a third party posted them while the device is away. Each is timed on the
   * node's clock for when it will be posted (one per period from `startMs`, 64 per epoch: the device
   * cannot know when later epochs start, so only the first epoch's times are sure to pass the
   * node's skew check), and none echoes a ticket: they are signed before any node answered.
   */
  const preSigned = new Map<bigint, Uint8Array[]>();
  function preSignedHeartbeat(
    networkId: bigint,
    epoch: bigint,
    index: number,
    plan: { startMs: number; periodMs: number },
  ): Uint8Array | undefined {
    if (preSigned.size === 0) {
      for (let e = epoch; e < epoch + 32n; e++) {
        preSigned.set(
          e,
          Array.from({ length: 64 }, (_, i) =>
            signMessage(
              "heartbeat",
              { networkId, epoch: e },
              {
                seq: BigInt(i + 1),
                timeMs: BigInt(Math.round(plan.startMs + (Number(e - epoch) * 64 + i) * plan.periodMs)),
                ticket: noTicket(),
                loadBps: 0,
                capabilities: opts.capabilities,
              },
              opts.signer,
            ),
          ),
        );
      }
    }
    return preSigned.get(epoch)?.[index];
  }

  const registration = (networkId: bigint, epoch: bigint) =>
    signMessage(
      "registration",
      { networkId, epoch },
      {
        owner: opts.owner,
        capabilities: opts.capabilities,
        // No storage claimed: nodes judge storage against the chain's target, never the device's
        // word (the fields stay in the wire format for compatibility).
        storageRoot: new Uint8Array(32),
        storageChunks: 0,
        storageChunkBytes: 0,
      },
      opts.signer,
    );

  async function heartbeatLoop(
    gw: DeviceGateway,
    networkId: bigint,
    clock: GatewayClock,
    signal: AbortSignal,
  ): Promise<void> {
    let period = opts.heartbeatIntervalMs ?? FALLBACK_POLICY_INTERVAL_MS / 2;
    let seq = 0n;
    let first: Uint8Array | null = null;
    let registered = false;
    let relayEpoch = -1n;
    let relayed = 0;
    // The newest liveness ticket this node gave us: each heartbeat echoes it, and only one that does
    // earns uptime there (proof it was signed after the node spoke, not in advance).
    let ticket = noTicket();
    // The node's timing as last read: the schedule follows its slots even while `info()` fails.
    let timing: GatewayTiming | undefined;
    let retried = false;
    while (!signal.aborted) {
      let failed: unknown;
      if (!offline()) {
        try {
          timing = await clock.timing();
          const { epoch, policyIntervalMs, skewMs } = timing;
          period = opts.heartbeatIntervalMs ?? policyIntervalMs / 2;
          // Read the epoch's assignment ahead of its first challenge (cached: one read per epoch).
          opts.assignment
            ?.challengersOf(epoch, opts.signer.publicKey)
            .catch((err: unknown) => fail("assignment prefetch", err));
          // Until the node has our registration (it may have been down at start), send it first.
          if (!registered) {
            try {
              ({ ticket } = await gw.register(registration(networkId, epoch)));
              registered = true;
            } catch (e) {
              fail("register", e);
            }
          }
          // Signed on the node's clock: it refuses a heartbeat whose time is far from its own.
          const body = {
            seq: ++seq,
            timeMs: BigInt(Date.now() + skewMs),
            ticket,
            loadBps: 0,
            capabilities: opts.capabilities,
          };
          let hb: Uint8Array;
          if (b.preSignHeartbeats) {
            if (epoch !== relayEpoch) [relayEpoch, relayed] = [epoch, 0];
            const plan = { startMs: Date.now() + skewMs, periodMs: period };
            const next = preSignedHeartbeat(networkId, epoch, relayed++, plan);
            if (!next) throw new Error(`no heartbeat signed in advance for epoch ${epoch}`);
            hb = next;
          } else if (b.replayHeartbeats) {
            // A heartbeat recorded elsewhere (the previous epoch, or another network in epoch 0),
            // replayed over and over instead of fresh ones: it must never be credited.
            const recorded =
              epoch > 0n ? { networkId, epoch: epoch - 1n } : { networkId: networkId + 1n, epoch };
            hb = first ??= signMessage("heartbeat", recorded, body, opts.signer);
          } else hb = signMessage("heartbeat", { networkId, epoch }, body, opts.signer);
          stats.heartbeatsSent++;
          ({ ticket } = await gw.heartbeat(hb));
        } catch (e) {
          failed = e;
          stats.heartbeatsRejected++;
          fail("heartbeat", e);
          if (isWrongEpoch(e) || isClockRefused(e)) clock.invalidate();
          if (isUnregistered(e)) registered = false;
        }
      }
      // A heartbeat that failed (a dropped connection, an epoch that just turned, a lost
      // registration) is sent once more within its half slot; one refused for its rate is not.
      if (failed !== undefined && !retried && !isRateLimited(failed)) {
        retried = true;
        await sleep(heartbeatRetryDelayMs(timing?.policyIntervalMs ?? 2 * period), signal);
        continue;
      }
      retried = false;
      await sleep(untilNextHeartbeat(period, timing), signal);
    }
  }

  /**
   * Ms until the next heartbeat: a fixed `heartbeatIntervalMs` period if one was set, otherwise the
   * next planned send in the node's uptime slots (`nextHeartbeatAtMs`).
   */
  function untilNextHeartbeat(period: number, timing: GatewayTiming | undefined): number {
    if (opts.heartbeatIntervalMs !== undefined || !timing) return period;
    const nodeNow = Date.now() + timing.skewMs;
    return nextHeartbeatAtMs(nodeNow, timing.policyIntervalMs, timing.epochEndMs) - nodeNow;
  }

  async function challengeLoop(
    gw: DeviceGateway,
    networkId: bigint,
    clock: GatewayClock,
    polls: ReturnType<typeof pollSigner>,
    signal: AbortSignal,
  ): Promise<void> {
    // Failed polls in a row: the wait before the next grows from 100 ms to the heartbeat period. A
    // challenge waits at the node meanwhile, its deadline running: one lost request must not cost it.
    let failures = 0;
    while (!signal.aborted) {
      if (offline()) {
        await sleep(Math.min(interval, 200), signal);
        continue;
      }
      let list: Uint8Array[];
      try {
        list = await gw.pollChallenges(await polls.sign(opts.signer), pollWait, signal);
        failures = 0;
      } catch (e) {
        if (signal.aborted) return;
        polls.refused();
        fail("poll", e);
        await sleep(Math.min(interval, 100 * 2 ** failures++), signal);
        continue;
      }
      for (const bytes of list) {
        if (signal.aborted) return;
        try {
          await answer(gw, networkId, clock, bytes, signal);
          stats.challengesAnswered++;
        } catch (e) {
          if (e instanceof ChallengeRefused) refused(e);
          else fail("challenge", e);
        }
      }
    }
  }

  async function answer(
    gw: DeviceGateway,
    networkId: bigint,
    clock: GatewayClock,
    bytes: Uint8Array,
    signal: AbortSignal,
  ): Promise<void> {
    const m = verifyMessage(bytes, { kind: "challenge", networkId }, verify);
    if (!m.ok) throw new ChallengeRefused(m.error, null);
    const challenge = m.value;
    const { epoch, skewMs } = await retrying(() => clock.timing(), signal);
    const at = { deviceId: opts.signer.publicKey, epoch, nowMs: BigInt(Date.now() + skewMs) };
    checked(challenge, () => checkChallenge(challenge, at));
    if (opts.assignment) await checkAssigned(challenge);
    if (b.preSignHeartbeats) return silent("away: answers nothing");
    await answerOn(gw, challenge, { atMs: challenge.body.deadlineMs, skewMs }, signal);
  }

  /** The challenger must be assigned to this device in the challenge's epoch (the chain's view). */
  async function checkAssigned(challenge: Message<"challenge">): Promise<void> {
    const source = opts.assignment!;
    if (challenge.networkId !== source.networkId)
      throw new ChallengeRefused(
        new AttestationError(
          "WRONG_NETWORK",
          `challenge for network ${challenge.networkId}, the chain assignment is network ${source.networkId}`,
        ),
        challenge,
      );
    // A source resolves undefined when the chain cannot tell (the outage policy below); one that
    // rejects is a fault, logged as such, then handled by the same policy.
    const judges = await within(
      ASSIGNMENT_WAIT_MS,
      source.challengersOf(challenge.epoch, opts.signer.publicKey).catch((err: unknown) => {
        fail("assignment source", err);
        return undefined;
      }),
    );
    if (!judges) {
      stats.challengesUnchecked++;
      log?.debug(
        { challengeId: bytesToHex(challengeIdOf(challenge.signingBytes)), epoch: challenge.epoch },
        "assignment unknown (chain unavailable): answering without checking the challenger",
      );
      return;
    }
    checked(challenge, () => checkChallenger(challenge, judges));
    if (!source.roundsOf) return;
    // The rounds hold an assigned challenger to one challenge per round (`RoundGuard`); unknown
    // (the chain unreadable) falls under the same outage policy as the assignment.
    const schedule = await within(
      ASSIGNMENT_WAIT_MS,
      source.roundsOf(challenge.epoch).catch((err: unknown) => {
        fail("round source", err);
        return undefined;
      }),
    );
    if (schedule) checked(challenge, () => rounds.check(challenge, schedule.rounds, schedule.policy));
    else stats.challengesUnchecked++;
  }

  /**
   * A transient transport failure (a dropped connection, the node unreachable for a moment) is
   * retried, 50 ms then doubling up to 400 ms apart: while the challenge's deadline has not passed
   * on the node's clock (`deadline`), else 3 attempts in all. Nothing else is retried: a refusal
   * would be refused again.
   */
  async function retrying<T>(
    call: () => Promise<T>,
    signal: AbortSignal,
    deadline?: { atMs: bigint; skewMs: number },
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        const wait = Math.min(400, 50 * 2 ** attempt);
        const more = deadline ? Date.now() + deadline.skewMs + wait < Number(deadline.atMs) : attempt < 2;
        if (!more || !(e instanceof GatewayError) || e.code !== "UNAVAILABLE" || signal.aborted) throw e;
        await sleep(wait, signal);
      }
    }
  }

  /** A check before signing failed: the device signed nothing for this challenge. */
  function refused(e: ChallengeRefused): void {
    stats.challengesRefused++;
    log?.warn(
      {
        challengeId: e.challenge ? bytesToHex(challengeIdOf(e.challenge.signingBytes)) : undefined,
        code: e.reason.code,
        check: e.reason.check,
      },
      "challenge refused",
    );
  }

  function silent(why: string): void {
    stats.challengesSilent++;
    log?.debug({ why }, "staying silent");
  }

  async function answerOn(
    gw: DeviceGateway,
    challenge: Message<"challenge">,
    deadline: { atMs: bigint; skewMs: number },
    signal: AbortSignal,
  ): Promise<void> {
    if (b.responseDelayMs) await sleep(b.responseDelayMs, signal);
    if (b.answerDelayMs) await sleep(b.answerDelayMs(challenge), signal);
    // Stopped while waiting: a delayed answer must not go out early because the wait was cut short.
    if (signal.aborted) return;
    const p = challenge.body.params;
    if (p.type === "compute") {
      const work = startCompute(opts.signer, challenge, b);
      if (b.relay) {
        const { machine, ownJobs } = b.relay;
        await machine.busy((ownJobs + 1) * machine.computeMs(challenge), signal);
      } else if (b.machine) await b.machine.busy(b.machine.computeMs(challenge), signal);
      if (signal.aborted) return;
      const { salt } = await retrying(() => gw.commit(work.commit), signal, deadline);
      if (b.silentWhenCaught && b.skipRow) {
        const asked = computeSampleIndices(work.result.root, salt, p.n, p.samples);
        if (asked.some((i) => b.skipRow!(i))) return silent("skipped row sampled");
      }
      const response = checked(challenge, () => finishCompute(opts.signer, work, salt));
      await retrying(() => gw.respond(response), signal, deadline);
    } else if (p.type === "storage") {
      // No replica (none kept, or unreadable): nothing can be derived without the client's secret.
      const held = await replica;
      if (!held) return silent("holds no replica");
      // A target that is not this replica (another device's, older data) is refused before any read.
      checked(challenge, () => checkStorageTarget(challenge, held.target));
      const id = challengeIdOf(challenge.signingBytes);
      const asked = storageSampleIndices(id, held.target.storageChunks, p.samples);
      if (b.silentWhenCaught && b.lostChunk && asked.some((i) => b.lostChunk!(i)))
        return silent("storage chunk lost");
      const set = await held.read(asked.filter((i) => !b.lostChunk?.(i)));
      const response = checked(challenge, () => answerStorage(opts.signer, challenge, set, b));
      await retrying(() => gw.respond(response), signal, deadline);
    } else if (p.type === "bandwidth") {
      const request = signPayloadRequest(challengeIdOf(challenge.signingBytes), opts.signer);
      const payload = await retrying(() => gw.payload(request), signal, deadline);
      if (b.machine) {
        await b.machine.busy(b.machine.transferMs(challenge, opts.capabilities.bandwidthClass), signal);
        if (signal.aborted) return;
      }
      const response = checked(challenge, () => answerBandwidth(opts.signer, challenge, payload));
      await retrying(() => gw.respond(response), signal, deadline);
    } else {
      const response = answerLatency(opts.signer, challenge);
      await retrying(() => gw.respond(response), signal, deadline);
    }
  }

  /** Runs a gateway's loops until `stop` or the agent stops; resolves when they have ended. */
  function serve(gw: DeviceGateway): { stop(): void; done: Promise<void> } {
    const own = new AbortController();
    const onStop = () => own.abort();
    abort.signal.addEventListener("abort", onStop, { once: true });
    const done = runGateway(gw, own.signal).finally(() => abort.signal.removeEventListener("abort", onStop));
    return { stop: onStop, done };
  }

  /**
   * A `GatewaySource`'s gateways, followed: asked every `refreshMs`, a new one served, one no longer
   * listed stopped; while the source cannot tell, what runs keeps running.
   */
  async function follow(source: GatewaySource): Promise<void> {
    const running = new Map<string, { stop(): void; done: Promise<void> }>();
    while (!abort.signal.aborted) {
      let wanted: Map<string, DeviceGateway> | undefined;
      try {
        wanted = await source.current(opts.signer.publicKey);
      } catch (e) {
        fail("gateway discovery", e);
      }
      if (wanted) {
        for (const [key, run] of running)
          if (!wanted.has(key)) {
            run.stop();
            running.delete(key);
            log?.info({ gateway: key }, "node no longer assigned: disconnected");
          }
        for (const [key, gw] of wanted)
          if (!running.has(key)) {
            running.set(key, serve(gw));
            log?.info({ gateway: key }, "assigned node: connecting");
          }
      }
      await sleep(source.refreshMs ?? 2_000, abort.signal);
    }
    await Promise.all([...running.values()].map((r) => r.done));
  }

  const loops = Promise.all([
    ...opts.gateways.map((gw) => serve(gw).done),
    ...(opts.gatewaySource ? [follow(opts.gatewaySource)] : []),
  ]);
  return {
    deviceId: opts.signer.publicKey,
    stats,
    async stop() {
      abort.abort();
      await loops;
    },
  };
}
