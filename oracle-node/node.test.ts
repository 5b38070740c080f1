import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToHex, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeviceAgent, httpGateway, startDeviceAgent } from "../attestation/agent/index";
import { keyFromLabel, testCapabilities } from "../attestation/testing";
import { type Anvil, startAnvil } from "../scripts/devnet/anvil";
import { type Deployed, deployChainFixture } from "../test/node/chainFixture";
import { initNode } from "./cli/index";
import { loadConfig } from "./config/index";
import { startNode, type VigilNode } from "./node";

let anvil: Anvil;
let chain: Deployed;
let networkId: bigint;
const nodes: VigilNode[] = [];
const agents: DeviceAgent[] = [];
const deviceKeys = Array.from({ length: 6 }, (_, i) => keyFromLabel(`node-test-device-${i}`));
// Epoch 0 starts when the test does and lasts 10 minutes (devnet override), so no boundary interferes.
const genesis = Math.floor(Date.now() / 1000) - 1;

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
  networkId = await chain.registerNetwork({ epochLength: 60, k: 2 });
  // Under the owner the agents sign in their registrations: nodes credit a device only then.
  for (const key of deviceKeys)
    await chain.registerDevice(networkId, bytesToHex(key.publicKey), `0x${"ab".repeat(20)}`);
});

afterAll(async () => {
  // Reverse order, like the node's own shutdown; anvil last.
  for (const agent of agents) await agent.stop();
  for (const node of nodes.reverse()) await node.close();
  await anvil?.stop();
});

describe("four oracle nodes in one process against anvil", () => {
  it("init, register, start: they connect to each other and serve the API", async () => {
    const dirs: string[] = [];
    for (let i = 0; i < 4; i++) {
      const dir = mkdtempSync(join(tmpdir(), `vigil-node${i}-`));
      const init = await initNode({
        dir,
        networks: [networkId],
        apiPort: 0,
        gatewayPort: 0,
        adminPort: 0,
        p2pPort: 0,
        rpcUrls: [anvil.rpcUrl],
        chainId: anvil.chainId,
      });
      await chain.registerOperator(init.signer, init.peerId);
      dirs.push(dir);
    }
    for (const [i, dir] of dirs.entries()) {
      const config = loadConfig({
        path: join(dir, "node.toml"),
        env: {
          VIGIL_LOG_LEVEL: "warn",
          VIGIL_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
          // Each node dials the ones started before it, so the four form a full mesh.
          VIGIL_P2P_BOOTSTRAP: nodes.flatMap((n) => n.p2p.addresses()).join(","),
          VIGIL_CHAIN_SETTLEMENT: chain.settlement,
          VIGIL_CHAIN_REGISTRY: chain.registry,
          VIGIL_CHAIN_FORWARDER: chain.forwarder,
          VIGIL_CHAIN_TOKEN: chain.token,
          VIGIL_EPOCH_GENESIS_TIME: String(genesis),
          VIGIL_EPOCH_LENGTH_SECONDS: "600",
        },
      });
      nodes.push(
        await startNode(config, {
          defaultMetrics: false,
          pollingIntervalMs: 50,
          heartbeatIntervalMs: 100,
          logDestination: { write: () => {} },
          agreement: {
            proposeTimeoutMs: 3_000,
            stepTimeoutMs: 1_000,
            timeoutDeltaMs: 500,
            observationGraceMs: 300,
          },
        }),
      );
      expect(nodes[i]!.api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }

    await until(() => nodes.every((n) => n.p2p.peers().length === 3), "a full mesh of 4 nodes");

    const token = (n: VigilNode) => ({ authorization: `Bearer ${n.config.api.adminToken}` });
    for (const n of nodes) {
      expect((await fetch(`${n.api.url}/health`)).status).toBe(200);
      const ready = await (await fetch(`${n.api.url}/ready`)).json();
      expect(ready).toEqual({ ready: true, checks: { chain: true, registered: true, peers: true } });
      const status = (await (await fetch(`${n.admin.url}/admin/status`, { headers: token(n) })).json()) as {
        peerId: string;
        signer: string;
        peers: number;
        networks: { networkId: string; assignedDevices: number }[];
      };
      expect(status).toMatchObject({ peerId: n.peerId, signer: n.signer, peers: 3 });
      expect(status.networks[0]!.networkId).toBe(String(networkId));
      expect(await (await fetch(`${n.admin.url}/metrics`)).text()).toContain("vigil_chain_head_block");
      // Three listeners, each routing only its own paths; every one answers the probes.
      expect(new Set([n.api.url, n.gateway.url, n.admin.url]).size).toBe(3);
      expect((await fetch(`${n.gateway.url}/device/v1/info`)).status).toBe(200);
      expect((await fetch(`${n.gateway.url}/health`)).status).toBe(200);
      expect((await fetch(`${n.admin.url}/ready`)).status).toBe(200);
      for (const [url, path] of [
        [n.api.url, "/admin/status"],
        [n.api.url, "/metrics"],
        [n.api.url, "/device/v1/info"],
        [n.gateway.url, "/admin/status"],
        [n.gateway.url, "/metrics"],
        [n.gateway.url, `/assignment/${networkId}`],
        [n.admin.url, "/device/v1/info"],
        [n.admin.url, `/assignment/${networkId}`],
      ] as const)
        expect((await fetch(`${url}${path}`, { headers: token(n) })).status, `${url}${path}`).toBe(404);
    }
    // libp2p's own metrics share the node's registry. @libp2p/prometheus-metrics keeps one metric map
    // per process, so with several nodes in one process only the first node's registry holds them.
    expect(await (await fetch(`${nodes[0]!.admin.url}/metrics`)).text()).toMatch(/libp2p_connection_manager/);

    // Every node computes the same public assignment: 6 devices × k=2 spread over the 4 signers.
    const views = await Promise.all(
      nodes.map(async (n) => (await fetch(`${n.api.url}/assignment/${networkId}`)).json()),
    );
    for (const v of views) expect(v).toEqual(views[0]);
    const view = views[0] as { devices: { nodes: string[] }[]; nodes: string[] };
    expect(view.devices).toHaveLength(6);
    for (const d of view.devices) expect(new Set(d.nodes).size).toBe(2);
    expect(new Set(view.nodes)).toEqual(new Set(nodes.map((n) => n.signer)));
  });

  it("devices attest to their assigned nodes over HTTP; at epoch close all four certify one result", async () => {
    const urlOf = new Map(nodes.map((n) => [n.signer, n.gateway.url]));
    const view = (await (await fetch(`${nodes[0]!.api.url}/assignment/${networkId}?epoch=0`)).json()) as {
      devices: { deviceId: Hex; nodes: `0x${string}`[] }[];
    };
    for (const key of deviceKeys) {
      const assigned = view.devices.find((d) => d.deviceId === bytesToHex(key.publicKey))!.nodes;
      agents.push(
        startDeviceAgent({
          signer: key,
          owner: new Uint8Array(20).fill(0xab),
          capabilities: testCapabilities,
          gateways: assigned.map((signer) => httpGateway(`${urlOf.get(signer)}/device`)),
          heartbeatIntervalMs: 100,
          pollWaitMs: 500,
        }),
      );
    }
    await until(() => agents.every((a) => a.stats.heartbeatsSent >= 3), "heartbeats from every device");

    const certificates = await Promise.all(nodes.map((n) => n.closeEpoch(networkId, 0n)));
    const roots = new Set(certificates.map((c) => c.result.resultRoot));
    expect(roots.size).toBe(1);
    for (const c of certificates) expect(c.votes.length).toBeGreaterThanOrEqual(3);
    const result = certificates[0]!.result;
    expect(result.lines.map((l) => l.deviceId).sort()).toEqual(
      deviceKeys.map((k) => bytesToHex(k.publicKey)).sort(),
    );
    // Every device heartbeated to its nodes, so every line has uptime; none was slashed.
    for (const line of result.lines) expect(line.uptimeBps).toBeGreaterThan(0);
    expect(result.totalSlash).toBe(0n);

    // The feed on any node serves the certified result and a device's line with its proof.
    const device = bytesToHex(deviceKeys[0]!.publicKey);
    const res = await fetch(`${nodes[3]!.api.url}/v1/networks/${networkId}/epochs/0/devices/${device}`);
    expect(res.status).toBe(200);
    const line = (await res.json()) as { leaf: string; proof: string[] };
    expect(line.leaf).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("answers hostile HTTP input with typed errors and keeps serving", async () => {
    const url = nodes[1]!.api.url;
    const gateway = nodes[1]!.gateway.url;
    const post = (path: string, body: Uint8Array) => fetch(`${gateway}${path}`, { method: "POST", body });
    const garbage = await post("/device/v1/heartbeat", new Uint8Array([1, 2, 3]));
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ error: "TRUNCATED" });
    // Large zero bytes: not a message (bodies over 1 MiB get 413, see api/createApiApp.test.ts).
    const large = await post(`/device/${networkId}/v1/heartbeat`, new Uint8Array(300 * 1024));
    expect(large.status).toBe(400);
    const badQuery = await fetch(`${url}/assignment/${networkId}?device=not-hex`);
    expect(badQuery.status).toBe(400);
    expect(await badQuery.json()).toMatchObject({ error: { code: "BAD_REQUEST" } });
    const unknown = await fetch(`${url}/assignment/424242`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it("an agreement stopped by shutdown rejects its caller and leaves no unhandled rejection behind", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const last = nodes.pop()!;
      // Only this node closes epoch 1, so it can never gather 2f + 1 votes; closing it stops the run.
      const pending = last.closeEpoch(networkId, 1n);
      await new Promise((r) => setTimeout(r, 200));
      await last.close();
      await expect(pending).rejects.toMatchObject({ code: "AGREEMENT_STOPPED" });
      await new Promise((r) => setTimeout(r, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
