import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Address, createPublicClient, http, isAddressEqual } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vigilRegistryAbi, vigilSettlementAbi } from "../../contracts";
import { type DevnetHandle, SAMPLE_BUDGET, SAMPLE_STAKE, startDevnet } from "../../scripts/devnet/devnet";
import type { DevnetEvent } from "../../scripts/devnet/events";

// The bounded devnet of issue 8: 4 nodes, ~50 devices with every cheat strategy, 3 epochs. Every
// stage runs for real (anvil, contracts, `vigil node start` processes, HTTP); see docs/devnet.md for
// which stages settle epochs today.
const EPOCHS = 3;
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
      epochSeconds: 6,
      port: 0,
      dataDir: join(process.cwd(), "test-output", "e2e-devnet"),
    });
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
  });

  it("brings every stage up in order, with no stage failed", () => {
    const stages = events("stage");
    const ready = stages.filter((s) => s.status === "ready").map((s) => s.stage);
    expect(ready).toEqual([
      "chains",
      "dashboard",
      "node-keys",
      "contracts",
      "network",
      "devices",
      "bridge-lane",
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
    expect(epochLength).toBe(6);
    expect(budget).toBe(SAMPLE_BUDGET);
    expect(
      await client().readContract({
        address: d.settlement as Address,
        abi: vigilSettlementAbi,
        functionName: "budgetOf",
        args: [devnet.networkId!],
      }),
    ).toBe(SAMPLE_BUDGET * BigInt(EPOCHS + 1));

    const onChain = await client().readContract({
      address: d.registry as Address,
      abi: vigilRegistryAbi,
      functionName: "getNetworkDevices",
      args: [devnet.networkId!, 0n, 1_000n],
    });
    const planned = events("device");
    expect(planned).toHaveLength(DEVICES);
    // Every cheat strategy is in the fleet.
    expect(new Set(planned.map((p) => p.strategy))).toEqual(
      new Set([
        "honest",
        "wrongCompute",
        "partialCompute",
        "replayHeartbeat",
        "forgedSignature",
        "offline",
        "slow",
        "lostStorage",
        "sybil",
      ]),
    );
    const expected = planned.filter((p) => p.strategy !== "sybil");
    expect(onChain.map((x) => x.deviceId)).toEqual(expected.map((p) => p.deviceId));
    expect(onChain.map((x) => x.owner.toLowerCase())).toEqual(expected.map((p) => p.owner.toLowerCase()));
    expect(onChain.every((x) => x.stake === SAMPLE_STAKE)).toBe(true);
  });

  it("runs each oracle node as its own process, healthy and connected to its peers", async () => {
    expect(devnet.nodes).toHaveLength(NODES);
    for (const n of devnet.nodes) {
      const health = await fetch(`${n.apiUrl}/health`);
      expect(health.ok).toBe(true);
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

  it("serves the dashboard with the devnet's event log", async () => {
    const res = await fetch(new URL("/api/events", devnet.dashboardUrl));
    const served = (await res.json()) as DevnetEvent[];
    expect(served.length).toBeGreaterThan(DEVICES);
    expect(served.map((e) => e.seq)).toEqual(served.map((_, i) => i));
  });
});
