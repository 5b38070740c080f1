import { type ServerType, serve } from "@hono/node-server";
import { type Address, bytesToHex, type Hex, hexToBytes } from "viem";
import { afterEach, describe, expect, it, vi } from "vitest";
import { httpGateway, startDeviceAgent } from "../../attestation/agent/index";
import { signPoll } from "../../attestation/agent/poll";
import {
  answerLatency,
  challengePolicy,
  type Message,
  noTicket,
  type Signer,
  signMessage,
  verifyMessageFast,
} from "../../attestation/index";
import { keyFromLabel, testCapabilities, testRegistration } from "../../attestation/testing";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";
import { type GossipMessage, Validation } from "../p2p/index";
import { createIntake, type IntakeNetwork } from "./createIntake";

const logger = createLogger({ level: "silent" });
const OBSERVER = "0x00000000000000000000000000000000000000aa" as Address;
const OWNER = `0x${"ab".repeat(20)}` as Hex;
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

const device = keyFromLabel("liveness-device");
const other = keyFromLabel("liveness-other-device");
const away = keyFromLabel("liveness-presigned-device");
const ids = new Set([device, other, away].map((k) => bytesToHex(k.publicKey)));

function network(overrides: Partial<IntakeNetwork> = {}): IntakeNetwork {
  return {
    networkId: 1n,
    genesisTime: BigInt(Math.floor(Date.now() / 1000)),
    epochLength: 60,
    policy: { ...challengePolicy(1, 3600), heartbeatIntervalMs: 200, types: [] },
    beacon: () => `0x${"00".repeat(32)}` as Hex,
    isRegistered: (d) => ids.has(d),
    ownerOf: (d) => (ids.has(d) ? OWNER : undefined),
    storageOf: () => undefined,
    assigned: () => ids,
    judges: () => ({ beacon: new Uint8Array(32), challengers: [] }),
    ...overrides,
  };
}

const T0 = 1_700_000_000;
/**
 * Intakes on one clock the test moves: epochs of 10 s from `T0`, 1 s uptime slots (10 per epoch, so
 * one slot is 1000 bps), tickets valid 2 s, no scheduled challenges (the test issues them).
 */
function clockedNodes(labels: string[], p2p?: Parameters<typeof createIntake>[1]["p2p"]) {
  const clock = { ms: T0 * 1000 + 100 };
  const nodes = labels.map((label) => {
    const intake = createIntake(
      {
        networks: [
          network({
            genesisTime: BigInt(T0),
            epochLength: 10,
            policy: {
              ...challengePolicy(1, 3600),
              heartbeatIntervalMs: 1_000,
              ticketMaxAgeMs: 2_000,
              types: [],
            },
          }),
        ],
        signer: keyFromLabel(label),
        observer: OBSERVER,
        now: () => clock.ms,
        tickMs: 60_000,
      },
      { logger, metrics: createNodeMetrics({ defaultMetrics: false }), p2p },
    );
    stops.push(() => intake.stop());
    return intake;
  });
  const seqs = new Map<Signer, bigint>();
  /** A heartbeat signed on the node's clock, echoing `ticket`. */
  const heartbeat = (key: Signer, ticket: Uint8Array, timeMs = clock.ms) => {
    const seq = (seqs.get(key) ?? 0n) + 1n;
    seqs.set(key, seq);
    return signMessage(
      "heartbeat",
      { networkId: 1n, epoch: 0n },
      { seq, timeMs: BigInt(timeMs), ticket, loadBps: 0, capabilities: testCapabilities },
      key,
    );
  };
  const uptime = (i: number, key: Signer = device) =>
    nodes[i]!.ledger(1n, 0n)
      .observation(OBSERVER)
      .devices.find((d) => d.deviceId === bytesToHex(key.publicKey))!.uptimeBps;
  return { nodes, clock, heartbeat, uptime };
}

describe("liveness: uptime only from fresh answers", () => {
  it("credits a slot only for a fresh ticket this node gave this device", async () => {
    const { nodes, clock, heartbeat, uptime } = clockedNodes(["liveness-node-a", "liveness-node-b"]);
    const [a, b] = [nodes[0]!.gateway(1n), nodes[1]!.gateway(1n)];
    await a.register(testRegistration(device, 1n));
    const fromB = (await b.register(testRegistration(device, 1n))).ticket;
    const othersTicket = (await a.register(testRegistration(other, 1n))).ticket;

    // Slot 0: no ticket (pre-signed, or posted by someone else): accepted, no uptime.
    const { ticket: t1 } = await a.heartbeat(heartbeat(device, noTicket()));
    expect(uptime(0)).toBe(0);
    // Slot 1: a fresh ticket of this node's: one slot.
    clock.ms += 1_000;
    await a.heartbeat(heartbeat(device, t1));
    expect(uptime(0)).toBe(1_000);
    // Slot 2: the same ticket again (used).
    clock.ms += 1_000;
    await a.heartbeat(heartbeat(device, t1));
    expect(uptime(0)).toBe(1_000);
    // Slot 3: another device's ticket, then another node's.
    clock.ms += 1_000;
    await a.heartbeat(heartbeat(device, othersTicket));
    const { ticket: young } = await a.heartbeat(heartbeat(device, fromB));
    expect(uptime(0)).toBe(1_000);
    // Slot 5: a ticket 2.1 s old on arrival (2 s allowed).
    clock.ms += 2_100;
    const { ticket: latest } = await a.heartbeat(heartbeat(device, young));
    expect(uptime(0)).toBe(1_000);
    // Still slot 5: a fresh one fills it.
    clock.ms += 100;
    await a.heartbeat(heartbeat(device, latest));
    expect(uptime(0)).toBe(2_000);
    // B issued a ticket but was never answered: nothing there.
    expect(uptime(1)).toBe(0);
  });

  it("a late or missed answer takes the slot of its deadline away", async () => {
    const { nodes, clock, heartbeat, uptime } = clockedNodes(["liveness-node-down"]);
    const intake = nodes[0]!;
    const gw = intake.gateway(1n);
    const poll = () =>
      signPoll(
        { networkId: 1n, nodeKey: keyFromLabel("liveness-node-down").publicKey, timeMs: BigInt(clock.ms) },
        device,
      );
    let { ticket } = await gw.register(testRegistration(device, 1n));
    const beat = async () => ({ ticket } = await gw.heartbeat(heartbeat(device, ticket)));
    await beat(); // slot 0
    // A latency challenge (1 s deadline) issued at 150 ms is due at 1150 ms: slot 1.
    clock.ms += 50;
    expect(gw.issue(device.publicKey, "latency")).toBeDefined();
    clock.ms += 1_050; // 1200 ms
    await beat(); // slot 1
    expect(uptime(0)).toBe(2_000);
    // Never answered: missed once the grace (5 s) has passed; slot 1 goes.
    clock.ms += 5_000; // 6200 ms: slot 6
    intake.tick();
    expect(uptime(0)).toBe(1_000);
    // Its ticket is 5 s old by now: this heartbeat only fetches a new one.
    await beat();
    expect(uptime(0)).toBe(1_000);
    // Answered after its deadline: late; the slot of the deadline goes although a heartbeat filled it.
    expect(gw.issue(device.publicKey, "latency")).toBeDefined(); // due at 7200 ms: slot 7
    // The missed challenge is still queued: the newest is the one to answer.
    const bytes = (await gw.pollChallenges(poll(), 0)).at(-1);
    const challenge = verifyMessageFast(bytes!, { kind: "challenge", networkId: 1n });
    if (!challenge.ok) throw challenge.error;
    clock.ms += 1_100; // 7300 ms
    await beat(); // slot 7
    expect(uptime(0)).toBe(2_000);
    clock.ms += 100;
    await gw.respond(answerLatency(device, challenge.value as Message<"challenge">));
    expect(uptime(0)).toBe(1_000);
    // The slot stays down: a fresh heartbeat in it credits nothing.
    await beat();
    expect(uptime(0)).toBe(1_000);
  });

  it("gossiped heartbeats are validated and relayed, but credit only a ticket of this node's own", async () => {
    const handlers = new Map<
      string,
      { validate: (m: GossipMessage) => Validation; handle: (m: GossipMessage) => void }
    >();
    const p2p = {
      topic: (kind: string) => kind,
      publish: async () => 1,
      subscribe: (
        topic: string,
        validate: (m: GossipMessage) => Validation,
        handle: (m: GossipMessage) => void,
      ) => {
        handlers.set(topic, { validate, handle });
        return () => {};
      },
    };
    const { nodes, clock, heartbeat, uptime } = clockedNodes(["liveness-gossip-a", "liveness-gossip-b"], p2p);
    // Node B's handlers win the map (created last): this is B receiving gossip.
    const [a, b] = [nodes[0]!.gateway(1n), nodes[1]!.gateway(1n)];
    const fromA = (await a.register(testRegistration(device, 1n))).ticket;
    const fromB = (await b.register(testRegistration(device, 1n))).ticket;
    const attestations = handlers.get("attestations")!;
    const gossip = (data: Uint8Array) =>
      ({
        topic: "attestations",
        data,
        from: "",
        propagationSource: "",
        timestampMs: 0,
      }) as unknown as GossipMessage;
    const relay = (data: Uint8Array) => {
      const v = attestations.validate(gossip(data));
      if (v === Validation.Accept) attestations.handle(gossip(data));
      return v;
    };
    // A's ticket, relayed to B: valid (ACCEPT, relayed on), no uptime at B.
    expect(relay(heartbeat(device, fromA))).toBe(Validation.Accept);
    expect(uptime(1)).toBe(0);
    // Signed 20 s off B's clock: IGNORE (the relay's clock may be the one off), nothing credited.
    clock.ms += 1_000;
    expect(relay(heartbeat(device, fromB, clock.ms - 20_000))).toBe(Validation.Ignore);
    expect(uptime(1)).toBe(0);
    // B's own ticket that reached B only through a peer: the device answered B, so B credits it.
    expect(relay(heartbeat(device, fromB))).toBe(Validation.Accept);
    expect(uptime(1)).toBe(1_000);
  });
});

describe("liveness: device agents against a node over HTTP", () => {
  it("an honest device earns uptime; one whose heartbeats were signed in advance earns none", async () => {
    const metrics = createNodeMetrics({ defaultMetrics: false });
    const intake = createIntake(
      { networks: [network()], signer: keyFromLabel("liveness-http-node"), observer: OBSERVER, tickMs: 50 },
      { logger, metrics },
    );
    stops.push(() => intake.stop());
    const { server, url } = await new Promise<{ server: ServerType; url: string }>((resolve) => {
      const s = serve({ fetch: intake.mounts[0]!.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
        resolve({ server: s, url: `http://127.0.0.1:${info.port}` }),
      );
    });
    stops.push(() => new Promise((r) => server.close(r)));
    const run = (signer: Signer, preSignHeartbeats: boolean) => {
      const a = startDeviceAgent({
        signer,
        owner: hexToBytes(OWNER),
        capabilities: testCapabilities,
        gateways: [httpGateway(url)],
        pollWaitMs: 200,
        behaviour: { preSignHeartbeats },
      });
      stops.push(() => a.stop());
      return a;
    };
    const honest = run(device, false);
    const presigned = run(away, true);
    const uptime = (key: Signer) =>
      intake
        .ledger(1n, 0n)
        .observation(OBSERVER)
        .devices.find((d) => d.deviceId === bytesToHex(key.publicKey))!.uptimeBps;
    // 200 ms slots over a 60 s epoch: 300 slots, 33 bps each.
    await vi.waitFor(
      () => {
        expect(uptime(device)).toBeGreaterThanOrEqual(10 * 33);
        expect(presigned.stats.heartbeatsSent).toBeGreaterThanOrEqual(10);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(uptime(away)).toBe(0);
    // Its heartbeats were valid and on time (the node accepted every one): only the missing ticket
    // kept them from counting.
    expect(presigned.stats.heartbeatsRejected).toBe(0);
    const { values } = await metrics.attestations.get();
    const unticketed = values.find((v) => v.labels.source === "device" && v.labels.outcome === "unticketed");
    expect(unticketed?.value ?? 0).toBeGreaterThanOrEqual(10);
    expect(honest.stats.heartbeatsRejected).toBe(0);
  });
});
