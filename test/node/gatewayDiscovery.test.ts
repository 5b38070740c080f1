// Devices learn their assigned nodes from gateway records (docs/attestation.md, "Gateway discovery"):
// real nodes on anvil announce their gateways over gossip; a device that knows only one bootstrap node,
// not assigned to it, finds and serves exactly its assigned nodes and answers their challenges; a
// bootstrap that serves forged records (another operator's signer, its own URL) is not believed.
import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { bytesToHex, hexToBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createChainAssignment,
  createGatewayDirectory,
  type DeviceAgent,
  type DeviceGateway,
  discoveredGateways,
  httpGateway,
  startDeviceAgent,
} from "../../attestation/agent/index";
import { equalBytes } from "../../attestation/bytes";
import { signGatewayRecord } from "../../attestation/gatewayRecord";
import { keyFromLabel, testCapabilities } from "../../attestation/testing";
import { challengerKeyOf } from "../../oracle-node/intake/index";
import type { VigilNode } from "../../oracle-node/node";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { ANVIL_KEY, type Deployed, deployChainFixture } from "./chainFixture";
import { startTestNodes } from "./testNodes";

const K = 2;
const owner = privateKeyToAccount(ANVIL_KEY).address;
const labels = Array.from({ length: 8 }, (_, i) => `discovery-device-${i}`);

let anvil: Anvil;
let chain: Deployed;
let networkId: bigint;
let nodes: VigilNode[] = [];
let evil: { server: ServerType; url: string } | undefined;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
  // Epoch 0 starts once the operators are registered (their registration must be stamped before it
  // to be in its assignment); the devices are registered before the nodes snapshot them.
  networkId = await chain.registerNetwork({
    epochLength: 30,
    genesisTime: BigInt(Math.floor(Date.now() / 1000) + 20),
    k: K,
  });
  for (const l of labels) await chain.registerDevice(networkId, bytesToHex(keyFromLabel(l).publicKey), owner);
  nodes = await startTestNodes({ anvil, chain, networkId, count: 4 });
}, 120_000);

afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  if (evil) await new Promise((r) => evil!.server.close(r));
  for (const n of nodes.reverse()) await n.close();
  await anvil?.stop();
});

const assignment = () =>
  createChainAssignment({
    client: chain.publicClient,
    registry: chain.registry,
    settlement: chain.settlement,
    networkId,
  });

/** A device whose assigned nodes (this epoch, all four operators in the view) exclude node 0, and them. */
async function deviceNotOnBootstrap(source: ReturnType<typeof assignment>) {
  let found: { label: string; assigned: VigilNode[] } | undefined;
  await expect
    .poll(
      async () => {
        const at = await source.epochAt(Date.now());
        const view = at && (await source.epochView(at.epoch));
        if (!view || view.oracles.length < nodes.length) return false;
        for (const label of labels) {
          const judges = await source.challengersOf(at.epoch, keyFromLabel(label).publicKey);
          const assigned = nodes.filter((n) =>
            judges?.challengers.some((c) => equalBytes(c, challengerKeyOf(n.peerId)!)),
          );
          if (assigned.length === K && !assigned.includes(nodes[0]!)) {
            found = { label, assigned };
            return true;
          }
        }
        return false;
      },
      { timeout: 60_000, interval: 500 },
    )
    .toBe(true);
  return found!;
}

function runDevice(label: string, bootstraps: string[], source: ReturnType<typeof assignment>) {
  const directory = createGatewayDirectory({ bootstraps, assignment: source, retryMs: 500 });
  const connected: string[][] = [];
  const gateways = discoveredGateways(directory, (url) => httpGateway(url), {
    networkId,
    refreshMs: 300,
  });
  const agent: DeviceAgent = startDeviceAgent({
    signer: keyFromLabel(label),
    owner: hexToBytes(owner),
    capabilities: testCapabilities,
    gateways: [],
    gatewaySource: {
      refreshMs: gateways.refreshMs,
      async current(deviceId) {
        const m = await gateways.current(deviceId);
        if (m) connected.push([...m.keys()].sort());
        return m as Map<string, DeviceGateway> | undefined;
      },
    },
    assignment: source,
    pollWaitMs: 2_000,
  });
  stops.push(() => agent.stop());
  return { agent, directory, connected };
}

const gatewayUrl = (n: VigilNode) => `${n.gateway.url}/device/${networkId}`;

describe("gateway discovery", () => {
  it("a device knowing one unassigned bootstrap node serves exactly its assigned nodes and answers them", async () => {
    const source = assignment();
    const { label, assigned } = await deviceNotOnBootstrap(source);
    // Every node holds every node's record (gossiped), and serves them.
    await expect
      .poll(
        async () => {
          const j = (await (await fetch(`${nodes[0]!.api.url}/v1/gateways`)).json()) as {
            gateways: unknown[];
          };
          return j.gateways.length;
        },
        { timeout: 30_000 },
      )
      .toBe(nodes.length);
    const { agent, connected } = runDevice(label, [`${nodes[0]!.gateway.url}/device`], source);
    const want = assigned.map(gatewayUrl).sort();
    await expect.poll(() => connected.at(-1), { timeout: 30_000 }).toEqual(want);
    // Challenged by its assigned nodes (the rounds of a 30 s epoch are 6.5 s apart) and answered.
    await expect.poll(() => agent.stats.challengesAnswered, { timeout: 45_000 }).toBeGreaterThan(0);
    expect(agent.stats.challengesRefused).toBe(0);
    expect(connected.every((c) => !c.includes(gatewayUrl(nodes[0]!)))).toBe(true);
  }, 150_000);

  it("a bootstrap serving forged records for other operators is not believed", async () => {
    const source = assignment();
    const { label, assigned } = await deviceNotOnBootstrap(source);
    // The forger holds a key of its own: it names each operator's signer with a newer time and its URL.
    const forger = keyFromLabel("discovery-forger");
    const chainId = BigInt(anvil.chainId);
    const app = new Hono();
    app.get("/device/v1/gateways", (c) =>
      c.json({
        gateways: nodes.map((n) => ({
          record: bytesToHex(
            signGatewayRecord(
              {
                chainId,
                registry: hexToBytes(chain.registry),
                signer: hexToBytes(n.signer),
                issuedAtMs: BigInt(Date.now()),
                urls: ["http://127.0.0.1:9/device"],
              },
              forger,
            ),
          ),
        })),
      }),
    );
    evil = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
        resolve({ server: s, url: `http://127.0.0.1:${info.port}/device` }),
      );
    });
    const { agent, directory, connected } = runDevice(
      label,
      [evil!.url, `${nodes[0]!.gateway.url}/device`],
      source,
    );
    await expect.poll(() => connected.at(-1), { timeout: 30_000 }).toEqual(assigned.map(gatewayUrl).sort());
    expect(directory.stats.recordsRefused).toBeGreaterThanOrEqual(nodes.length);
    expect(connected.flat().some((u) => u.includes(":9/"))).toBe(false);
    await expect.poll(() => agent.stats.heartbeatsSent, { timeout: 20_000 }).toBeGreaterThan(0);
  }, 150_000);
});
