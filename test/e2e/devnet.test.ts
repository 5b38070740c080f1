import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Address, createPublicClient, http, isAddressEqual } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vigilRegistryAbi, vigilSettlementAbi } from "../../contracts";
import { createFeedClient } from "../../oracle-node/feed/client/index";
import { epochRewardInputs } from "../../scripts/devnet/checks/epochRewardInputs";
import { checkRewardFormula } from "../../scripts/devnet/checks/rewardFormula";
import {
  type DevnetHandle,
  SAMPLE_BUDGET,
  SAMPLE_FEE,
  SAMPLE_STAKE,
  SAMPLE_UPTIME_SLA,
  startDevnet,
} from "../../scripts/devnet/devnet";
import type { DevnetEvent } from "../../scripts/devnet/events";
import { DEFENDED_STRATEGIES } from "../../scripts/devnet/fleetPlan";

// The bounded devnet of issue 8: 4 nodes, ~50 devices with every cheat strategy, 3 epochs. Every
// stage runs for real (anvil, contracts, `vigil node start` processes, HTTP); see docs/devnet.md for
// which stages settle epochs today.
const EPOCHS = 3;
// 20 s epochs: four challenge rounds (one per type) with 5 s deadlines, of which the fleet's
// simulated hardware spends 78% on a device's three jobs; shorter ones leave 2 busy cores no margin.
const EPOCH_SECONDS = 20;
const DEVICES = 50;
const NODES = 4;

describe("devnet end to end", () => {
  let devnet: DevnetHandle;
  const client = () =>
    createPublicClient({ transport: http(devnet.chains.home.rpcUrl), pollingInterval: 50 });
  const events = <T extends DevnetEvent["type"]>(type: T) =>
    devnet.log.all().filter((e): e is Extract<DevnetEvent, { type: T }> => e.type === type);

  beforeAll(async () => {
    devnet = await startDevnet({
      epochs: EPOCHS,
      devices: DEVICES,
      nodes: NODES,
      epochSeconds: EPOCH_SECONDS,
      port: 0,
      // Per run: two test runs at once (e.g. two people in one checkout) must not share chains or nodes.
      dataDir: join(process.cwd(), "test-output", `e2e-devnet-${process.pid}`),
    });
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  it("brings every stage up in order, with no stage failed", () => {
    const stages = events("stage");
    // The governance demo runs beside the epochs: its stage is checked with the summary below.
    const ready = stages
      .filter((s) => s.status === "ready" && s.stage !== "governance-demo")
      .map((s) => s.stage);
    expect(ready).toEqual([
      "build-contracts",
      "chains",
      "dashboard",
      "node-keys",
      "contracts",
      "network",
      "devices",
      "bridge-lane",
      "governance",
      "oracle-nodes",
      "device-fleet",
    ]);
    expect(stages.filter((s) => s.status === "failed")).toEqual([]);
  });

  it("registers the nodes' signers as operators and the forwarder in settlement", async () => {
    const d = devnet.deployment!;
    const active = await client().readContract({
      address: d.registry as Address,
      abi: vigilRegistryAbi,
      functionName: "getActiveSigners",
    });
    expect(active).toEqual(devnet.nodes.map((n) => n.keys.signer));
    const forwarder = await client().readContract({
      address: d.settlement as Address,
      abi: vigilSettlementAbi,
      functionName: "forwarder",
    });
    expect(isAddressEqual(forwarder, d.forwarder as Address)).toBe(true);
  });

  it("registers the sample network with its budget, and every device but the Sybils", async () => {
    const d = devnet.deployment!;
    const [, , epochLength, budget] = await client().readContract({
      address: d.registry as Address,
      abi: vigilRegistryAbi,
      functionName: "epochParams",
      args: [devnet.networkId!],
    });
    expect(epochLength).toBe(EPOCH_SECONDS);
    expect(budget).toBe(SAMPLE_BUDGET);
    expect(
      await client().readContract({
        address: d.settlement as Address,
        abi: vigilSettlementAbi,
        functionName: "budgetOf",
        args: [devnet.networkId!],
      }),
    ).toBe((SAMPLE_BUDGET + SAMPLE_FEE.feePerDeviceEpoch * BigInt(DEVICES)) * BigInt(EPOCHS + 2));

    const onChain = await client().readContract({
      address: d.registry as Address,
      abi: vigilRegistryAbi,
      functionName: "getNetworkDevices",
      args: [devnet.networkId!, 0n, 1_000n],
    });
    const planned = events("device");
    expect(planned).toHaveLength(DEVICES);
    // Every strategy the devnet runs by default is in the fleet, besides honest devices.
    expect(new Set(planned.map((p) => p.strategy))).toEqual(new Set(["honest", ...DEFENDED_STRATEGIES]));
    const expected = planned.filter((p) => p.strategy !== "sybil");
    expect(onChain.map((x) => x.deviceId)).toEqual(expected.map((p) => p.deviceId));
    expect(onChain.map((x) => x.owner.toLowerCase())).toEqual(expected.map((p) => p.owner.toLowerCase()));
    expect(onChain.every((x) => x.stake === SAMPLE_STAKE)).toBe(true);
  });

  it("runs each oracle node as its own process, healthy and connected to its peers", async () => {
    expect(devnet.nodes).toHaveLength(NODES);
    for (const n of devnet.nodes) {
      // A node busy closing an epoch may drop a connection: a few tries before calling it unhealthy.
      await expect
        .poll(
          () =>
            fetch(`${n.apiUrl}/health`).then(
              (r) => r.ok,
              () => false,
            ),
          { timeout: 10_000, interval: 500 },
        )
        .toBe(true);
    }
    // Gossip needs a mesh: wait (bounded) until every node reports at least one peer.
    const deadline = Date.now() + 20_000;
    let withPeers = 0;
    while (Date.now() < deadline) {
      const latest = new Map(events("node").map((e) => [e.index, e]));
      withPeers = [...latest.values()].filter((e) => e.status === "up" && e.peers.length > 0).length;
      if (withPeers === NODES) break;
      await sleep(250);
    }
    expect(withPeers).toBe(NODES);
  });

  it("runs a governance proposal end to end while the epochs settle, and reads the parameter back changed", async () => {
    const summary = await devnet.done;
    expect(summary.governance).toMatchObject({ step: "checked", state: "Executed" });
    expect(summary.governance?.detail).toMatch(/^reporterRewardBps\(\) 5000 → 4000$/);
    expect(summary.stages["governance-demo"]).toMatch(/^ready: proposal 0x[0-9a-f]+ executed at block \d+/);
    const steps = events("governance").map((e) => e.step);
    expect(steps).toEqual(["proposed", "voting", "voted", "succeeded", "queued", "executed", "checked"]);
    // The timelock now owns the contracts the devnet deployed.
    const d = devnet.deployment!;
    expect(d.timelock).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(
      await client().readContract({
        address: d.registry as Address,
        abi: vigilRegistryAbi,
        functionName: "owner",
      }),
    ).toBe(d.timelock);
    // The devnet's whole run: the epochs' test below waits on the same promise.
  }, 420_000);

  it("agrees on every epoch: f + 1 votes, rewards per the formula, cheaters slashed with evidence, no honest slash", async () => {
    const summary = await devnet.done;
    // A devnet that stopped early says why; show that rather than a bare count mismatch below. Verdict
    // accuracy (honest devices paid in time) depends on this machine's load and 10 s epochs: it is
    // measured by `npm start` and `npm run bench -- verdicts`, not asserted here; everything else is.
    const failedStages = Object.entries(summary.stages).filter(([, status]) => status.startsWith("failed"));
    for (const [stage, status] of failedStages) {
      expect(stage).toBe("epochs");
      expect(status).toMatch(/^failed: verdict targets missed/);
    }
    expect(summary.honestDevicesSlashed).toBe(0);
    expect(summary.verdictTargetsMissed.filter((t) => /slashed|other than the device/.test(t))).toEqual([]);
    const f = 1;
    const epochs = events("epoch");
    // Warm-up epochs (before the fleet ran, and the first after it) come first, then EPOCHS scored ones.
    expect(epochs.map((e) => e.epoch)).toEqual(epochs.map((_, i) => i));
    expect(epochs.filter((e) => !e.warmUp)).toHaveLength(EPOCHS);
    expect(summary.epochsAgreed).toBe(epochs.length);
    for (const e of epochs) {
      expect(e.resultRoot).toMatch(/^0x[0-9a-f]{64}$/);
      expect(e.votes).toBeGreaterThanOrEqual(f + 1);
    }

    // Every registered device's line, fetched from the nodes and proven against a root that f + 1
    // registered oracles signed; the reward of each line follows docs/interfaces.md's formula.
    const feed = createFeedClient({
      nodes: devnet.nodes.map((n) => n.apiUrl),
      chainId: devnet.chains.home.chainId,
      settlement: devnet.deployment!.settlement as Address,
      signers: devnet.nodes.map((n) => n.keys.signer),
      threshold: f + 1,
    });
    const devices = events("device");
    const registered = devices.filter((d) => d.strategy !== "sybil");
    const strategyOf = new Map(devices.map((d) => [d.deviceId.toLowerCase(), d.strategy]));
    const rewardedHonest = new Set<string>();
    const linesOf = (epoch: bigint) =>
      Promise.all(
        registered.map((d) =>
          feed.getDeviceLine(devnet.networkId!, epoch, d.deviceId as `0x${string}`).then((l) => l.line),
        ),
      );
    // Each epoch's proven lines: the uptime SLA's history for the epochs after it.
    const proven = new Map<bigint, Awaited<ReturnType<typeof linesOf>>>();
    let bonused = 0;
    for (const e of epochs) {
      const lines = await linesOf(BigInt(e.epoch));
      proven.set(BigInt(e.epoch), lines);
      // The chain's emission, never one taken from the result under test.
      const startTime = BigInt(devnet.genesisTime + e.epoch * devnet.options.epochSeconds);
      const { budget, unstaked, uptime } = await epochRewardInputs(
        client(),
        {
          registry: devnet.deployment!.registry as Address,
          settlement: devnet.deployment!.settlement as Address,
        },
        devnet.networkId!,
        BigInt(e.epoch),
        { startTime, endTime: startTime + BigInt(devnet.options.epochSeconds) },
      );
      expect(budget).toBeGreaterThan(0n);
      expect(budget).toBeLessThanOrEqual(SAMPLE_BUDGET);
      // The sample network's uptime SLA, judged on this test's own proven lines of the window's epochs.
      expect(uptime?.sla).toEqual(SAMPLE_UPTIME_SLA);
      const history = await Promise.all(
        uptime!.epochs.map(async ({ epoch }) => proven.get(epoch) ?? (await linesOf(epoch))),
      );
      const check = checkRewardFormula(budget, lines, unstaked, { sla: uptime!.sla, history });
      expect(check.mismatches).toEqual([]);
      expect(e.rewardMismatches).toBe(0);
      expect(e.uptimeSla).toMatchObject({
        bonused: check.sla.bonused,
        bonusPaid: String(check.sla.bonusPaid),
        penalized: check.sla.penalized,
        withheld: String(check.sla.withheld),
      });
      bonused += check.sla.bonused;
      // The settlement's books (checked by the devnet against themselves): the emission is the flat budget
      // within the first halving period, what it did not pay was carried, the fee was charged and split.
      if (e.settlementTx) {
        expect(e.economics).toBeDefined();
        expect(BigInt(e.economics!.emission)).toBe(SAMPLE_BUDGET);
        expect(BigInt(e.economics!.carried)).toBe(SAMPLE_BUDGET - BigInt(e.totalReward));
        expect(BigInt(e.economics!.fee)).toBeGreaterThan(0n);
        expect(BigInt(e.economics!.burned)).toBe(
          (BigInt(e.economics!.fee) * BigInt(SAMPLE_FEE.burnBps)) / 10_000n,
        );
      }
      expect(lines.reduce((sum, l) => sum + l.reward, 0n)).toBe(BigInt(e.totalReward));
      for (const l of lines) {
        const strategy = strategyOf.get(l.deviceId.toLowerCase());
        if (strategy === "honest") expect(l.slash).toBe(0n);
        if (strategy === "honest" && l.reward > 0n) rewardedHonest.add(l.deviceId);
        // Not attributable to their key: rejected, never paid.
        if (strategy === "forgedSignature" || strategy === "replayHeartbeat") expect(l.reward).toBe(0n);
      }
    }
    expect(rewardedHonest.size).toBeGreaterThan(0);
    // Devices at 100% uptime over the window earned the uptime bonus (the run had full windows).
    expect(bonused).toBeGreaterThan(0);

    // Slashes: only cheaters whose own signature proves the fraud, each with its evidence hash.
    const slashes = events("slash");
    expect(slashes.filter((x) => x.honest)).toEqual([]);
    for (const x of slashes) {
      expect(["wrongCompute", "partialCompute", "lostStorage"]).toContain(
        strategyOf.get(x.deviceId.toLowerCase()),
      );
      expect(x.evidenceHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(x.evidenceHash).not.toBe(`0x${"0".repeat(64)}`);
    }
    const slashedStrategies = new Set(slashes.map((x) => strategyOf.get(x.deviceId.toLowerCase())));
    expect(slashedStrategies).toContain("wrongCompute");
    expect(slashedStrategies).toContain("partialCompute");
    expect(summary.honestDevicesSlashed).toBe(0);
  }, 420_000);

  it("serves the dashboard with the devnet's event log", async () => {
    const res = await fetch(new URL("/api/events", devnet.dashboardUrl));
    const served = (await res.json()) as DevnetEvent[];
    expect(served.length).toBeGreaterThan(DEVICES);
    expect(served.map((e) => e.seq)).toEqual(served.map((_, i) => i));
  });
});
