import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, bytesToHex, type Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { type DeviceAgent, startDeviceAgent } from "../../attestation/agent/index";
import { signMessage, verifyEvidenceFast } from "../../attestation/index";
import { keyFromLabel, testCapabilities } from "../../attestation/testing";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";
import { createP2P, loadOrCreatePeerKey, type P2P, PeerAllowList } from "../p2p/index";
import { createIntake, type Intake, type IntakeNetwork } from "./createIntake";
import { encodeChallengeGossip } from "./gossipCodec";
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
const devices = new Set([bytesToHex(honest.publicKey), bytesToHex(cheater.publicKey)]);

function network(types: ("compute" | "storage")[] = ["compute"]): IntakeNetwork {
  return {
    networkId: 1n,
    // Epoch 0 started now and lasts a minute: everything below happens inside it.
    genesisTime: BigInt(Math.floor(Date.now() / 1000)),
    epochLength: 60,
    policy: { heartbeatIntervalMs: 200, challengeIntervalMs: 300, types },
    beacon: () => `0x${"42".repeat(32)}` as Hex,
    isRegistered: (d) => devices.has(d),
    assigned: () => devices,
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
    const intake = createIntake(
      { networks: [network()], signer: keyFromLabel("node-a"), observer: OBSERVER, tickMs: 50 },
      { logger, metrics: createNodeMetrics({ defaultMetrics: false }) },
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
    const proven = verifyEvidenceFast(bad.fraud!.evidence, { networkId: 1n });
    expect(proven.ok && proven.value.reason).toBe("computeWrongRow");
    expect(bad.fraud!.reason).toBe(1);

    // Closing the epoch hands over the observation set and stops crediting that epoch.
    const closed = intake.closeEpoch(1n, 0n);
    expect(closed.devices.map((d) => d.deviceId)).toEqual([...devices].sort());
    expect(closed.observer).toBe(OBSERVER);
  });

  it("shares heartbeats and fraud evidence over gossip with another assigned node", async () => {
    const { a, b, keys } = await p2pPair();
    const metricsB = createNodeMetrics({ defaultMetrics: false });
    const intakes: Intake[] = [];
    for (const [i, p2p] of [a, b].entries()) {
      const intake = createIntake(
        { networks: [network()], signer: signerFromPeerKey(keys[i]!), observer: OBSERVER, tickMs: 50 },
        { logger, metrics: i === 1 ? metricsB : createNodeMetrics({ defaultMetrics: false }), p2p },
      );
      stops.push(() => intake.stop());
      intakes.push(intake);
    }
    // The devices talk to node A only; node B learns of them through gossip.
    agent(intakes[0]!.gateway(1n));
    agent(intakes[0]!.gateway(1n), cheater, true);
    const seenByB = () =>
      new Map(
        intakes[1]!
          .ledger(1n, 0n)
          .observation(OBSERVER)
          .devices.map((d) => [d.deviceId, d]),
      );
    await until(() => {
      const obs = seenByB();
      return (
        (obs.get(bytesToHex(honest.publicKey))?.uptimeBps ?? 0) > 0 &&
        !!obs.get(bytesToHex(cheater.publicKey))?.fraud
      );
    }, "node B to credit gossiped heartbeats and evidence");
    // B did not challenge the honest device itself (it never reached B), so B credits no work.
    expect(seenByB().get(bytesToHex(honest.publicKey))!.work).toBe(0n);

    // Hostile gossip: a heartbeat with a forged signature and garbage are rejected, not credited.
    const before = seenByB().get(bytesToHex(honest.publicKey))!.uptimeBps;
    const forged = signMessage(
      "heartbeat",
      { networkId: 1n, epoch: 0n },
      { seq: 10n ** 9n, timeMs: 0n, loadBps: 0, capabilities: testCapabilities },
      keyFromLabel("someone-else"),
    );
    forged.set(honest.publicKey, 22); // claim to be the honest device: the signature no longer matches
    await a.publish(a.topic("attestations"), forged);
    await a.publish(a.topic("attestations"), new Uint8Array([1, 2, 3]));
    await a.publish(a.topic("challenges"), encodeChallengeGossip("evidence", new Uint8Array(100)));
    await until(async () => (await rejected(metricsB)) === 2, "B to reject both bad heartbeats");
    expect(seenByB().get(bytesToHex(honest.publicKey))!.uptimeBps).toBeGreaterThanOrEqual(before);
  });
});

async function rejected(metrics: ReturnType<typeof createNodeMetrics>): Promise<number> {
  const { values } = await metrics.attestations.get();
  return values.filter((v) => v.labels.outcome === "rejected").reduce((sum, v) => sum + v.value, 0);
}
