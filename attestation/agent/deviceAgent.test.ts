import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { EvidenceJudges } from "../evidence";
import { writeReplicaFile } from "../storage/replicaFile";
import { keyFromLabel, TEST_CLIENT_SECRET, testCapabilities } from "../testing";
import type { Verdict } from "../verdict";
import { createChallengerGateway } from "./challengerGateway";
import { type AssignmentSource, startDeviceAgent } from "./deviceAgent";
import { type DeviceGateway, GatewayError } from "./gateway";

describe("device agent (in-process gateway)", () => {
  it("keeps retrying registration until the node accepts it, then passes storage challenges", async () => {
    const verdicts: Verdict[] = [];
    const signer = keyFromLabel("agent-device");
    // Its replica, written by its storage client, who registered the target on chain.
    const file = join(mkdtempSync(join(tmpdir(), "vigil-agent-")), "replica");
    const target = writeReplicaFile(file, TEST_CLIENT_SECRET, signer.publicKey, 32, 256);
    const node = createChallengerGateway({
      networkId: 2n,
      signer: keyFromLabel("agent-node"),
      epoch: () => 0n,
      beacon: () => new Uint8Array(32),
      storageOf: () => target,
      schedule: { intervalMs: 50, types: ["storage"] },
      onVerdict: (v) => verdicts.push(v),
    });
    let refusals = 2;
    const flaky: DeviceGateway = {
      ...node,
      register: async (b) => {
        if (refusals-- > 0) throw new GatewayError("UNAVAILABLE", "node starting");
        return node.register(b);
      },
    };
    const agent = startDeviceAgent({
      signer,
      owner: new Uint8Array(20),
      capabilities: testCapabilities,
      storage: { file, chunks: 32, chunkBytes: 256 },
      gateways: [flaky],
      heartbeatIntervalMs: 40,
      pollWaitMs: 100,
    });
    await vi.waitFor(
      () => {
        expect(refusals).toBeLessThan(0);
        expect(verdicts.some((v) => v.status === "pass" && v.type === "storage")).toBe(true);
      },
      { timeout: 10_000, interval: 20 },
    );
    await agent.stop();
    node.close();
    rmSync(dirname(file), { recursive: true, force: true });
    expect(refusals).toBeLessThan(0);
    expect(agent.stats.errors).toBeGreaterThanOrEqual(2);
    expect(verdicts.some((v) => v.status === "pass" && v.type === "storage")).toBe(true);
    expect(verdicts.every((v) => v.status === "pass")).toBe(true);
  });
});

describe("device agent: heartbeats follow the node's policy", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** A node with a 200 ms policy interval whose epoch the test moves; it counts info() calls. */
  function policyNode() {
    const state = { epoch: 0n, infos: 0, beats: [] as bigint[] };
    const node = createChallengerGateway({
      networkId: 3n,
      signer: keyFromLabel("policy-node"),
      epoch: () => state.epoch,
      // Far away, so only a WRONG_EPOCH rejection tells the agent the epoch moved.
      epochEndMs: () => BigInt(Date.now() + 600_000),
      beacon: () => new Uint8Array(32),
      heartbeatIntervalMs: 200,
      onHeartbeat: (m) => state.beats.push(m.epoch),
    });
    const counted: DeviceGateway = {
      ...node,
      info: () => {
        state.infos++;
        return node.info();
      },
    };
    return { node, counted, state };
  }
  const device = (gw: DeviceGateway, heartbeatIntervalMs?: number) =>
    startDeviceAgent({
      signer: keyFromLabel("policy-device"),
      owner: new Uint8Array(20),
      capabilities: testCapabilities,
      gateways: [gw],
      heartbeatIntervalMs,
      pollWaitMs: 100,
    });

  it("heartbeats at half the policy interval, asking info() only when the epoch may have moved", async () => {
    const { node, counted, state } = policyNode();
    const agent = device(counted);
    await sleep(1_000);
    state.epoch = 1n;
    await sleep(600);
    await agent.stop();
    node.close();
    // ~10 at 100 ms in the first second (timers stretch on a loaded machine, never shrink).
    const inEpoch0 = state.beats.filter((e) => e === 0n).length;
    expect(inEpoch0).toBeGreaterThanOrEqual(5);
    expect(inEpoch0).toBeLessThanOrEqual(11);
    // The move is noticed by the one heartbeat the node refuses as WRONG_EPOCH.
    expect(state.beats.filter((e) => e === 1n).length).toBeGreaterThanOrEqual(2);
    expect(agent.stats.heartbeatsRejected).toBe(1);
    // Start-up, the heartbeat loop's first read, the re-read after the rejection.
    expect(state.infos).toBe(3);
  });

  it("on a link that drops every planned heartbeat, the retries still fill every uptime slot", async () => {
    // Fake timers: the schedule is checked against the node's slots exactly, whatever the load.
    vi.useFakeTimers({ now: 1_000_000_123 });
    try {
      const interval = 5_000;
      const epochEnd = 1_000_300_000n + 1_234n; // slots aligned on the epoch, not on the unix clock
      const delivered: number[] = [];
      let attempts = 0;
      const node = createChallengerGateway({
        networkId: 3n,
        signer: keyFromLabel("policy-node"),
        epoch: () => 0n,
        epochEndMs: () => epochEnd,
        beacon: () => new Uint8Array(32),
        heartbeatIntervalMs: interval,
        onHeartbeat: () => delivered.push(Date.now()),
      });
      // Every planned send is dropped; only its retry gets through.
      const lossy: DeviceGateway = {
        ...node,
        heartbeat: async (b) => {
          if (attempts++ % 2 === 0) throw new GatewayError("UNAVAILABLE", "dropped");
          return node.heartbeat(b);
        },
      };
      const agent = device(lossy);
      await vi.advanceTimersByTimeAsync(60_000);
      await agent.stop();
      node.close();
      const slotOf = (t: number) => Math.floor((t - Number(epochEnd)) / interval);
      const first = slotOf(delivered[0]!) + 1; // the first slot may have begun before the agent
      const last = slotOf(delivered.at(-1)!) - 1;
      expect(last - first).toBeGreaterThanOrEqual(8);
      for (let slot = first; slot <= last; slot++)
        expect(
          delivered.filter((t) => slotOf(t) === slot),
          `slot ${slot}`,
        ).toHaveLength(2);
      // Two planned sends and two retries a slot: within the policy's 4 a slot.
      expect(agent.stats.heartbeatsRejected).toBe(Math.ceil(attempts / 2));
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps an explicit heartbeatIntervalMs over the policy's", async () => {
    const { node, counted, state } = policyNode();
    const agent = device(counted, 400);
    await sleep(1_000);
    await agent.stop();
    node.close();
    expect(state.beats.length).toBeGreaterThanOrEqual(2);
    expect(state.beats.length).toBeLessThanOrEqual(3);
  });
});

describe("device agent: only the chain's assigned challengers are answered", () => {
  const NET = 4n;
  const beacon = new Uint8Array(32).fill(7);
  const assignedKey = keyFromLabel("assigned-oracle");
  /** A node that issues compute and latency challenges every 50 ms; counts what the device signed for it. */
  function node(label: string, seededFrom = beacon) {
    const signer = label === "assigned-oracle" ? assignedKey : keyFromLabel(label);
    const verdicts: Verdict[] = [];
    const signed = { commits: 0, responses: 0 };
    let issued = 0;
    const gw = createChallengerGateway({
      networkId: NET,
      signer,
      onIssue: () => issued++,
      epoch: () => 3n,
      beacon: () => seededFrom,
      schedule: { intervalMs: 50, types: ["compute", "latency"] },
      ttlMs: 2_000,
      onVerdict: (v) => verdicts.push(v),
    });
    const counted: DeviceGateway = {
      ...gw,
      commit: (bytes) => {
        signed.commits++;
        return gw.commit(bytes);
      },
      respond: (bytes) => {
        signed.responses++;
        return gw.respond(bytes);
      },
    };
    return { gw, counted, verdicts, signed, issued: () => issued };
  }
  const agentOn = (gateways: DeviceGateway[], assignment: AssignmentSource) =>
    startDeviceAgent({
      signer: keyFromLabel("assigned-device"),
      owner: new Uint8Array(20),
      capabilities: testCapabilities,
      gateways,
      heartbeatIntervalMs: 40,
      pollWaitMs: 100,
      assignment,
    });
  const chainSays = (judges: EvidenceJudges | undefined): AssignmentSource => ({
    networkId: NET,
    challengersOf: async (epoch) => (epoch === 3n ? judges : { beacon, challengers: [] }),
  });

  it("refuses a stranger's and a misseeded assigned challenge, signing nothing; answers the assigned one", async () => {
    const assigned = node("assigned-oracle");
    const stranger = node("stranger-oracle");
    const misseeded = node("assigned-oracle", new Uint8Array(32).fill(8));
    const agent = agentOn(
      [assigned.counted, stranger.counted, misseeded.counted],
      chainSays({ beacon, challengers: [assignedKey.publicKey] }),
    );
    try {
      await vi.waitFor(
        () => {
          expect(assigned.verdicts.filter((v) => v.status === "pass").length).toBeGreaterThanOrEqual(3);
          expect(stranger.issued()).toBeGreaterThanOrEqual(2);
          expect(misseeded.issued()).toBeGreaterThanOrEqual(2);
          expect(agent.stats.challengesRefused).toBeGreaterThanOrEqual(4);
        },
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      await agent.stop();
      for (const n of [assigned, stranger, misseeded]) n.gw.close();
    }
    expect(assigned.verdicts.every((v) => v.status === "pass")).toBe(true);
    for (const n of [stranger, misseeded]) {
      expect(n.signed).toEqual({ commits: 0, responses: 0 });
      expect(n.verdicts.some((v) => v.status === "pass")).toBe(false);
    }
    expect(agent.stats.challengesRefused).toBeGreaterThanOrEqual(4);
    expect(agent.stats.challengesUnchecked).toBe(0);
  });

  it("answers unchecked, and counts it, while the chain cannot tell", async () => {
    const stranger = node("stranger-oracle");
    const agent = agentOn([stranger.counted], chainSays(undefined));
    try {
      await vi.waitFor(
        () => expect(stranger.verdicts.filter((v) => v.status === "pass").length).toBeGreaterThanOrEqual(2),
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      await agent.stop();
      stranger.gw.close();
    }
    expect(agent.stats.challengesRefused).toBe(0);
    expect(agent.stats.challengesUnchecked).toBeGreaterThanOrEqual(2);
  });

  it("refuses every challenge when the node serves another network than the chain source", async () => {
    const assigned = node("assigned-oracle");
    const agent = agentOn([assigned.counted], {
      networkId: NET + 1n,
      challengersOf: async () => ({ beacon, challengers: [assignedKey.publicKey] }),
    });
    try {
      await vi.waitFor(() => expect(agent.stats.challengesRefused).toBeGreaterThanOrEqual(2), {
        timeout: 10_000,
        interval: 50,
      });
    } finally {
      await agent.stop();
      assigned.gw.close();
    }
    expect(assigned.signed).toEqual({ commits: 0, responses: 0 });
  });
});
