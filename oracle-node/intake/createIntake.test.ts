import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, bytesToHex, type Hex, hexToBytes, keccak256 } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { type DeviceAgent, startDeviceAgent } from "../../attestation/agent/index";
import { signPayloadRequest } from "../../attestation/agent/payloadRequest";
import { signPoll } from "../../attestation/agent/poll";
import {
  answerBandwidth,
  challengeDeadlineMs,
  challengeIdOf,
  challengePolicy,
  decodeMessage,
  type Message,
  noTicket,
  signMessage,
  verifyEvidenceFast,
  verifyMessageFast,
} from "../../attestation/index";
import {
  keyFromLabel,
  stagedComputeFraud,
  testCapabilities,
  testRegistration,
} from "../../attestation/testing";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";
import {
  createP2P,
  type GossipMessage,
  loadOrCreatePeerKey,
  type P2P,
  PeerAllowList,
  Validation,
} from "../p2p/index";
import { createIntake, type Intake, type IntakeModules, type IntakeNetwork } from "./createIntake";
import { decodeChallengeGossip, encodeChallengeGossip } from "./gossipCodec";
import { signerFromPeerKey } from "./signerFromPeerKey";

const logger = createLogger({ level: "silent" });
const OBSERVER = "0x00000000000000000000000000000000000000aa" as Address;
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const honest = keyFromLabel("honest-device");
const cheater = keyFromLabel("cheating-device");
/** A cheater that answers whoever challenges it, and no agent here runs: only staged exchanges reach it. */
const answersAnyone = keyFromLabel("answers-anyone");
const devices = new Set([honest, cheater, answersAnyone].map((k) => bytesToHex(k.publicKey)));
const BEACON = `0x${"42".repeat(32)}` as Hex;
/** The owner the chain holds for every test device; the agents below sign registrations naming it. */
const OWNER = `0x${"ab".repeat(20)}` as Hex;

/** `challengers`: the keys the chain assigned to every device (evidence from anyone else proves nothing). */
function network(
  types: ("compute" | "storage")[] = ["compute"],
  challengers: readonly Uint8Array[] = [],
): IntakeNetwork {
  return {
    networkId: 1n,
    // Epoch 0 started now and lasts a minute: everything below happens inside it.
    genesisTime: BigInt(Math.floor(Date.now() / 1000)),
    epochLength: 60,
    policy: { ...challengePolicy(1, 60), heartbeatIntervalMs: 200, challengeIntervalMs: 300, types },
    beacon: () => BEACON,
    isRegistered: (d) => devices.has(d),
    ownerOf: (d) => (devices.has(d) ? OWNER : undefined),
    // No storage targets on this chain: a device here is never given a storage challenge.
    storageOf: () => undefined,
    assigned: () => devices,
    judges: () => ({ beacon: hexToBytes(BEACON), challengers }),
  };
}

function agent(
  gateway: Parameters<typeof startDeviceAgent>[0]["gateways"][0],
  signer = honest,
  wrong = false,
): DeviceAgent {
  const a = startDeviceAgent({
    signer,
    owner: new Uint8Array(20).fill(0xab),
    capabilities: testCapabilities,
    gateways: [gateway],
    heartbeatIntervalMs: 100,
    pollWaitMs: 200,
    behaviour: wrong ? { wrongResult: true } : {},
  });
  stops.push(() => a.stop());
  return a;
}

async function p2pPair(): Promise<{
  a: P2P;
  b: P2P;
  keys: Awaited<ReturnType<typeof loadOrCreatePeerKey>>[];
}> {
  const dir = mkdtempSync(join(tmpdir(), "vigil-intake-"));
  const allowList = new PeerAllowList();
  const opts = {
    listen: ["/ip4/127.0.0.1/tcp/0"],
    mdns: false,
    namespace: "intake-test",
    heartbeatIntervalMs: 100,
  };
  const keys = [await loadOrCreatePeerKey(join(dir, "a.key")), await loadOrCreatePeerKey(join(dir, "b.key"))];
  const a = await createP2P({ ...opts, peerKeyFile: join(dir, "a.key") }, { logger, allowList });
  const b = await createP2P({ ...opts, peerKeyFile: join(dir, "b.key") }, { logger, allowList });
  stops.push(
    () => a.stop(),
    () => b.stop(),
  );
  allowList.set([a.peerId, b.peerId]);
  await b.dial(a.addresses()[0]!);
  return { a, b, keys };
}

describe("intake: heartbeats, challenges, verdicts into the epoch ledger", () => {
  it("credits an honest device's uptime and work and proves a cheater's fraud", async () => {
    const kept: Parameters<NonNullable<IntakeModules["onEvidence"]>>[0][] = [];
    const intake = createIntake(
      { networks: [network()], signer: keyFromLabel("node-a"), observer: OBSERVER, tickMs: 50 },
      { logger, metrics: createNodeMetrics({ defaultMetrics: false }), onEvidence: (e) => kept.push(e) },
    );
    stops.push(() => intake.stop());
    agent(intake.gateway(1n));
    agent(intake.gateway(1n), cheater, true);
    const byId = () =>
      new Map(
        intake
          .ledger(1n, 0n)
          .observation(OBSERVER)
          .devices.map((d) => [d.deviceId, d]),
      );
    await until(() => {
      const obs = byId();
      return (
        (obs.get(bytesToHex(honest.publicKey))?.work ?? 0n) > 0n &&
        !!obs.get(bytesToHex(cheater.publicKey))?.fraud
      );
    }, "a pass verdict for the honest device and fraud for the cheater");
    const obs = byId();
    const good = obs.get(bytesToHex(honest.publicKey))!;
    expect(good.uptimeBps).toBeGreaterThan(0);
    expect(good.fraud).toBeUndefined();
    const bad = obs.get(bytesToHex(cheater.publicKey))!;
    const proven = verifyEvidenceFast(bad.fraud!.evidence, { networkId: 1n, judges: "unchecked" });
    expect(proven.ok && proven.value.reason).toBe("computeWrongRow");
    expect(bad.fraud!.reason).toBe(1);
    // The bundle is handed over to be kept for the feed, under its own epoch and hash.
    expect(kept).toContainEqual({
      networkId: 1n,
      epoch: 0n,
      deviceId: bytesToHex(cheater.publicKey),
      evidenceHash: keccak256(bad.fraud!.evidence),
      bytes: bad.fraud!.evidence,
    });

    // Closing the epoch hands over the observation set and stops crediting that epoch.
    const closed = intake.closeEpoch(1n, 0n);
    expect(closed.devices.map((d) => d.deviceId)).toEqual([...devices].sort());
    expect(closed.observer).toBe(OBSERVER);
  });

  it("relays heartbeats over gossip without crediting another node's tickets, and shares fraud evidence", async () => {
    const { a, b, keys } = await p2pPair();
    const metricsB = createNodeMetrics({ defaultMetrics: false });
    const keptByB: Hex[] = [];
    const intakes: Intake[] = [];
    for (const [i, p2p] of [a, b].entries()) {
      const intake = createIntake(
        {
          networks: [
            network(
              ["compute"],
              keys.map((k) => k.publicKey.raw),
            ),
          ],
          signer: signerFromPeerKey(keys[i]!),
          observer: OBSERVER,
          tickMs: 50,
        },
        {
          logger,
          metrics: i === 1 ? metricsB : createNodeMetrics({ defaultMetrics: false }),
          p2p,
          ...(i === 1 ? { onEvidence: (e: { evidenceHash: Hex }) => keptByB.push(e.evidenceHash) } : {}),
        },
      );
      stops.push(() => intake.stop());
      intakes.push(intake);
    }
    // The devices talk to node A only; node B learns of them through gossip.
    agent(intakes[0]!.gateway(1n));
    agent(intakes[0]!.gateway(1n), cheater, true);
    const seenBy = (i: number) =>
      new Map(
        intakes[i]!.ledger(1n, 0n)
          .observation(OBSERVER)
          .devices.map((d) => [d.deviceId, d]),
      );
    const seenByB = () => seenBy(1);
    await until(
      async () =>
        (await outcomes(metricsB, "gossip", "unticketed")) > 0 &&
        !!seenByB().get(bytesToHex(cheater.publicKey))?.fraud,
      "node B to take gossiped heartbeats and evidence",
    );
    // A credits the fresh answers to its own tickets. B, which the device never reached, takes A's
    // relayed heartbeats as valid but credits them no uptime (A's tickets are only A's word), and
    // did not challenge the device itself, so it credits no work either.
    expect(seenBy(0).get(bytesToHex(honest.publicKey))!.uptimeBps).toBeGreaterThan(0);
    expect(seenByB().get(bytesToHex(honest.publicKey))!.uptimeBps).toBe(0);
    expect(seenByB().get(bytesToHex(honest.publicKey))!.work).toBe(0n);

    // Hostile gossip: a heartbeat with a forged signature and garbage are rejected, not credited.
    const forged = signMessage(
      "heartbeat",
      { networkId: 1n, epoch: 0n },
      {
        seq: 10n ** 9n,
        timeMs: BigInt(Date.now()),
        ticket: noTicket(),
        loadBps: 0,
        capabilities: testCapabilities,
      },
      keyFromLabel("someone-else"),
    );
    forged.set(honest.publicKey, 22); // claim to be the honest device: the signature no longer matches
    await a.publish(a.topic("attestations"), forged);
    await a.publish(a.topic("attestations"), new Uint8Array([1, 2, 3]));
    await a.publish(a.topic("challenges"), encodeChallengeGossip("evidence", new Uint8Array(100)));
    await until(async () => (await rejected(metricsB)) === 2, "B to reject both bad heartbeats");
    expect(seenByB().get(bytesToHex(honest.publicKey))!.uptimeBps).toBe(0);

    // Evidence binds the judge: a real fraudulent exchange staged by a key the chain did not assign
    // (a stranger) is relayed by A but proves nothing to B; the same exchange judged by an assigned
    // oracle (A's key), gossiped right after it on the same connection, does.
    const target = bytesToHex(answersAnyone.publicKey);
    const staged = { networkId: 1n, epoch: 0n, beacon: hexToBytes(BEACON) };
    const stranger = stagedComputeFraud(keyFromLabel("stranger"), answersAnyone, staged);
    const assigned = stagedComputeFraud(signerFromPeerKey(keys[0]!), answersAnyone, staged);
    await a.publish(a.topic("challenges"), encodeChallengeGossip("evidence", stranger));
    await a.publish(a.topic("challenges"), encodeChallengeGossip("evidence", assigned));
    await until(() => !!seenByB().get(target)?.fraud, "B to take the assigned oracle's evidence");
    expect(bytesToHex(seenByB().get(target)!.fraud!.evidence)).toBe(bytesToHex(assigned));
    // Only evidence that passed the check is kept for the feed.
    expect(keptByB).toContain(keccak256(assigned));
    expect(keptByB).not.toContain(keccak256(stranger));
    const judges = intakes[1]!.evidenceJudges(1n);
    expect(verifyEvidenceFast(stranger, { networkId: 1n, judges })).toMatchObject({
      ok: false,
      error: { code: "NOT_ASSIGNED" },
    });
    // Out of the epoch window (epoch 0 is current; a bundle "of epoch 5" is not admissible).
    expect(judges({ networkId: 1n, epoch: 5n, deviceId: answersAnyone.publicKey })).toMatch(/epoch 5/);
  });
});

async function outcomes(
  metrics: ReturnType<typeof createNodeMetrics>,
  source: string,
  outcome: string,
): Promise<number> {
  const { values } = await metrics.attestations.get();
  return values
    .filter((v) => v.labels.source === source && v.labels.outcome === outcome)
    .reduce((sum, v) => sum + v.value, 0);
}

async function rejected(metrics: ReturnType<typeof createNodeMetrics>): Promise<number> {
  const { values } = await metrics.attestations.get();
  return values.filter((v) => v.labels.outcome === "rejected").reduce((sum, v) => sum + v.value, 0);
}

/** An intake on a clock the test moves, for one network whose epochs last 10 s from `T0`. */
function clocked(p2p?: Parameters<typeof createIntake>[1]["p2p"]) {
  const T0 = 1_700_000_000;
  const clock = { ms: T0 * 1000 };
  const intake = createIntake(
    {
      networks: [
        {
          ...network(),
          genesisTime: BigInt(T0),
          epochLength: 10,
          // No scheduled challenges (the test issues them), production deadlines: latency 1 s.
          policy: { ...challengePolicy(1, 3600), heartbeatIntervalMs: 1_000, types: [] },
        },
      ],
      signer: keyFromLabel("node-clocked"),
      observer: OBSERVER,
      now: () => clock.ms,
      tickMs: 60_000,
    },
    { logger, metrics: createNodeMetrics({ defaultMetrics: false }), p2p },
  );
  stops.push(() => intake.stop());
  /** The newest liveness ticket the node gave the honest device; each heartbeat echoes it. */
  let ticket = noTicket();
  const register = async (owner = new Uint8Array(20).fill(0xab), device = honest) => {
    const answer = await intake.gateway(1n).register(
      signMessage(
        "registration",
        { networkId: 1n, epoch: 0n },
        {
          owner,
          capabilities: testCapabilities,
          storageRoot: new Uint8Array(32),
          storageChunks: 0,
          storageChunkBytes: 0,
        },
        device,
      ),
    );
    if (device === honest) ticket = answer.ticket;
  };
  const poll = (device = honest) =>
    signPoll(
      { networkId: 1n, nodeKey: keyFromLabel("node-clocked").publicKey, timeMs: BigInt(clock.ms) },
      device,
    );
  let seq = 0n;
  /** A heartbeat of the honest device on the node's clock, echoing `echo` (default: its newest ticket). */
  const heartbeat = async (epoch = 0n, echo = ticket) => {
    const answer = await intake
      .gateway(1n)
      .heartbeat(
        signMessage(
          "heartbeat",
          { networkId: 1n, epoch },
          { seq: ++seq, timeMs: BigInt(clock.ms), ticket: echo, loadBps: 0, capabilities: testCapabilities },
          honest,
        ),
      );
    ticket = answer.ticket;
    return answer;
  };
  return { intake, clock, register, poll, heartbeat, epochEnd: (T0 + 10) * 1000 };
}

const workIn = (intake: Intake, epoch: bigint) =>
  intake
    .ledger(1n, epoch)
    .observation(OBSERVER)
    .devices.find((d) => d.deviceId === bytesToHex(honest.publicKey))!.work;

describe("intake: challenges belong to their own epoch", () => {
  it("issues no challenge whose deadline passes the epoch's end, and credits a pass to the issuing epoch", async () => {
    const { intake, clock, register, poll, heartbeat, epochEnd } = clocked();
    const gw = intake.gateway(1n);
    clock.ms = epochEnd - 5_000;
    await register();
    await heartbeat();
    // An unanswered challenge: it stays in the denominator.
    expect(gw.issue(honest.publicKey, "bandwidth")).toBeDefined();
    const deadline = challengeDeadlineMs(challengePolicy(1, 3600), { type: "bandwidth", bytes: 1 });
    // 1 ms later than this its deadline would end after the epoch.
    clock.ms = epochEnd - deadline + 1;
    expect(gw.issue(honest.publicKey, "bandwidth")).toBeUndefined();
    clock.ms = epochEnd - deadline;
    expect(gw.issue(honest.publicKey, "bandwidth")).toBeDefined();
    const polled = await gw.pollChallenges(poll(), 0);
    expect(polled).toHaveLength(2);
    const last = verifyMessageFast(polled[1]!, { kind: "challenge", networkId: 1n });
    if (!last.ok) throw last.error;
    const challenge = last.value as Message<"challenge">;
    const payload = await gw.payload(signPayloadRequest(challengeIdOf(challenge.signingBytes), honest));
    // Answered at the deadline, which is the epoch's last instant: the clock already reads epoch 1.
    clock.ms = epochEnd;
    await gw.respond(answerBandwidth(honest, challenge, payload));
    // One of two passed (exactly maxMissFraction failed): ⌊1000 × 1 / 2⌋, in epoch 0; nothing in epoch 1.
    expect(workIn(intake, 0n)).toBe(500n);
    expect(workIn(intake, 1n)).toBe(0n);
    expect(intake.closeEpoch(1n, 0n).devices.find((d) => d.work > 0n)?.work).toBe(500n);
  });
});

describe("intake: heartbeat gossip and rate limit", () => {
  it("gossips one heartbeat per device and slot, and refuses a device over its allowance", async () => {
    const published: Uint8Array[] = [];
    const p2p = {
      topic: (kind: string) => kind,
      publish: async (_topic: string, data: Uint8Array) => published.push(data),
      subscribe: () => () => {},
    };
    const { intake, clock, register, heartbeat } = clocked(p2p);
    const kinds = () =>
      published.map((b) => {
        const m = decodeMessage(b);
        return m.ok ? m.value.kind : "undecodable";
      });
    clock.ms += 100;
    // The registration is gossiped as it is accepted, so peers may credit the heartbeats relayed next.
    await register();
    await heartbeat();
    expect(kinds()).toEqual(["registration", "heartbeat"]);
    // Same 1 s slot: accepted (uptime is already counted), not gossiped again.
    clock.ms += 300;
    await heartbeat();
    await heartbeat();
    await heartbeat();
    expect(published).toHaveLength(2);
    // A fifth in the slot is over maxHeartbeatsPerInterval (4): refused, nothing kept or gossiped.
    await expect(heartbeat()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect(published).toHaveLength(2);
    // The next slot: credited and gossiped again (the registration only once per epoch).
    clock.ms += 1_000;
    await heartbeat();
    expect(kinds()).toEqual(["registration", "heartbeat", "heartbeat"]);
    const obs = intake.ledger(1n, 0n).observation(OBSERVER).devices;
    expect(obs.find((d) => d.deviceId === bytesToHex(honest.publicKey))!.uptimeBps).toBe(2_000);
  });
});

describe("intake: owner binding", () => {
  it("refuses and logs a registration naming another owner than the chain's; that device is never challenged or credited", async () => {
    const squatted = keyFromLabel("squatted-device");
    const SQUATTER = `0x${"5c".repeat(20)}` as Hex;
    const ids = new Set([bytesToHex(honest.publicKey), bytesToHex(squatted.publicKey)]);
    const chain = new Map<Hex, Hex>([
      [bytesToHex(honest.publicKey), OWNER],
      [bytesToHex(squatted.publicKey), SQUATTER],
    ]);
    const lines: string[] = [];
    const handlers = new Map<
      string,
      { validate: (m: GossipMessage) => Validation; handle: (m: GossipMessage) => void }
    >();
    /** Every device this node challenged (it gossips each challenge it issues). */
    const challenged = new Set<string>();
    const p2p = {
      topic: (kind: string) => kind,
      publish: async (topic: string, data: Uint8Array) => {
        const g = topic === "challenges" ? decodeChallengeGossip(data) : null;
        const m = g?.kind === "challenge" ? decodeMessage(g.message) : null;
        if (m?.ok && m.value.kind === "challenge")
          challenged.add(bytesToHex((m.value as Message<"challenge">).body.deviceId));
        return 1;
      },
      subscribe: (
        topic: string,
        validate: (m: GossipMessage) => Validation,
        handle: (m: GossipMessage) => void,
      ) => {
        handlers.set(topic, { validate, handle });
        return () => {};
      },
    };
    const intake = createIntake(
      {
        networks: [
          {
            ...network(["compute"]),
            isRegistered: (d) => ids.has(d),
            ownerOf: (d) => chain.get(d),
            assigned: () => ids,
          },
        ],
        signer: keyFromLabel("node-binding"),
        observer: OBSERVER,
        tickMs: 50,
      },
      {
        logger: createLogger({ level: "warn", destination: { write: (l: string) => void lines.push(l) } }),
        metrics: createNodeMetrics({ defaultMetrics: false }),
        p2p,
      },
    );
    stops.push(() => intake.stop());
    const gw = intake.gateway(1n);
    agent(gw);
    const squat = agent(gw, squatted);
    const byId = () =>
      new Map(
        intake
          .ledger(1n, 0n)
          .observation(OBSERVER)
          .devices.map((d) => [d.deviceId, d]),
      );
    await until(() => (byId().get(bytesToHex(honest.publicKey))?.work ?? 0n) > 0n, "the bound device's work");
    // Heartbeats of the squatted key relayed by a peer: valid and registered on chain, so ACCEPTed
    // for relay, but this node holds no registration naming the chain's owner: not credited.
    const gossip = (data: Uint8Array) =>
      ({
        topic: "attestations",
        data,
        from: "",
        propagationSource: "",
        timestampMs: 0,
      }) as unknown as GossipMessage;
    const relayed = gossip(
      signMessage(
        "heartbeat",
        { networkId: 1n, epoch: 0n },
        {
          seq: 10n ** 9n,
          timeMs: BigInt(Date.now()),
          ticket: noTicket(),
          loadBps: 0,
          capabilities: testCapabilities,
        },
        squatted,
      ),
    );
    const attestations = handlers.get("attestations")!;
    expect(attestations.validate(relayed)).toBe(Validation.Accept);
    attestations.handle(relayed);
    // Its registration relayed by a peer is IGNOREd: it names another owner than the chain holds.
    const registration = testRegistration(squatted, 1n);
    expect(attestations.validate(gossip(registration))).toBe(Validation.Ignore);
    await squat.stop();
    const obs = byId();
    expect(obs.get(bytesToHex(honest.publicKey))!.uptimeBps).toBeGreaterThan(0);
    const s = obs.get(bytesToHex(squatted.publicKey));
    expect([s?.uptimeBps ?? 0, s?.work ?? 0n]).toEqual([0, 0n]);
    expect(challenged).toEqual(new Set([bytesToHex(honest.publicKey)]));
    expect(squat.stats.challengesAnswered + squat.stats.challengesRefused).toBe(0);
    expect(squat.stats.heartbeatsRejected).toBeGreaterThan(0);
    const refusals = lines.filter((l) => l.includes("registration refused"));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain(
      `registration names owner 0x${"ab".repeat(20)}, the chain holds ${SQUATTER}`,
    );
  });
});
