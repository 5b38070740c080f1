// The live verdict stream on real nodes (docs/consumers.md, "Live verdicts"): four nodes on anvil
// challenge two devices during a short epoch; a client reading node 0's stream gets signed provisional
// verdicts while the epoch runs, checked against the registry's active signers; it drops the
// connection, reconnects with `Last-Event-ID` and gets exactly what it missed; a forged event fails.

import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { bytesToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeviceAgent, httpGateway, startDeviceAgent } from "../../attestation/agent/index";
import { keyFromLabel, testCapabilities } from "../../attestation/testing";
import {
  readOracleSigners,
  type StreamedVerdict,
  streamVerdicts,
  type VerifyStreamEventParameters,
} from "../../oracle-node/feed/client/index";
import type { VigilNode } from "../../oracle-node/node";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { type Deployed, deployChainFixture } from "../node/chainFixture";
import { startTestNodes } from "../node/testNodes";

const OWNER = `0x${"ab".repeat(20)}` as const;
const keys = [0, 1].map((i) => keyFromLabel(`stream-device-${i}`));
// Short devnet epochs: the challenge policy spaces four rounds inside one, so verdicts come quickly.
const EPOCH_SECONDS = 12;

let anvil: Anvil;
let chain: Deployed;
let networkId: bigint;
let nodes: VigilNode[] = [];
const agents: DeviceAgent[] = [];
let verify: VerifyStreamEventParameters;

async function take(it: AsyncGenerator<StreamedVerdict>, count: number): Promise<StreamedVerdict[]> {
  const out: StreamedVerdict[] = [];
  while (out.length < count) {
    const next = await it.next();
    if (next.done) throw new Error(`stream ended after ${out.length} events`);
    out.push(next.value);
  }
  return out;
}

beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
  networkId = await chain.registerNetwork({ epochLength: 60, k: 4 });
  for (const key of keys) await chain.registerDevice(networkId, bytesToHex(key.publicKey), OWNER);
  nodes = await startTestNodes({
    anvil,
    chain,
    networkId,
    count: 4,
    env: {
      VIGIL_EPOCH_GENESIS_TIME: String(Math.floor(Date.now() / 1000)),
      VIGIL_EPOCH_LENGTH_SECONDS: String(EPOCH_SECONDS),
    },
  });
  for (const key of keys)
    agents.push(
      startDeviceAgent({
        signer: key,
        owner: new Uint8Array(20).fill(0xab),
        capabilities: testCapabilities,
        gateways: nodes.map((n) => httpGateway(`${n.gateway.url}/device`)),
        pollWaitMs: 500,
      }),
    );
  verify = {
    chainId: anvil.chainId,
    settlement: chain.settlement,
    signers: await readOracleSigners(chain.publicClient, chain.registry),
  };
}, 120_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  for (const n of nodes.reverse()) await n.close();
  await anvil?.stop();
});

describe("live verdict stream on real nodes", () => {
  it("streams signed provisional verdicts during the epoch and resumes with Last-Event-ID missing nothing", async () => {
    const node = nodes[0]!;
    const first = new AbortController();
    const live = streamVerdicts(node.api.url, networkId, { signal: first.signal, verify });
    const [a, b] = await take(live, 2);
    first.abort();
    for (const e of [a, b]) {
      expect(e?.type).toBe("verdict");
      if (e?.type !== "verdict") return;
      expect(e.event).toMatchObject({ provisional: true, signer: node.signer, networkId: String(networkId) });
      expect(keys.map((k) => bytesToHex(k.publicKey))).toContain(e.event.deviceId);
      // Provisional: the epoch it is about has not settled (it has not even closed).
      expect(node.store.getEpochResult(networkId, BigInt(e.event.epoch))).toBeUndefined();
    }
    const seenSeq = BigInt((b as StreamedVerdict & { type: "verdict" }).event.seq);
    const lastId = (b as StreamedVerdict & { type: "verdict" }).id;

    // Disconnected while the node publishes more.
    await expect
      .poll(() => node.store.lastFeedSeq() >= seenSeq + 3n, { timeout: 30_000, interval: 100 })
      .toBe(true);
    const missed = node.store.feedEventsAfter(networkId, seenSeq, 1_000).map((r) => r.seq.toString());
    const again = new AbortController();
    const resumed = await take(
      streamVerdicts(node.api.url, networkId, { signal: again.signal, verify, lastEventId: lastId }),
      missed.length,
    );
    again.abort();
    expect(resumed.map((e) => (e.type === "verdict" || e.type === "settled" ? e.event.seq : e.type))).toEqual(
      missed,
    );
  }, 90_000);

  it("rejects an event changed on the way, and one whose signer is not a registered oracle", async () => {
    const node = nodes[0]!;
    const real = node.store.feedEventsAfter(networkId, 0n, 1)[0]!;
    const body = JSON.parse(real.body) as Record<string, string>;
    const relay = (data: object) => {
      const app = new Hono().get("*", (c) =>
        c.body(`event: verdict\nid: ${body.epoch}:${body.seq}\ndata: ${JSON.stringify(data)}\n\n`, 200, {
          "content-type": "text/event-stream",
        }),
      );
      return new Promise<{ url: string; close: () => void }>((resolve) => {
        const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) =>
          resolve({ url: `http://127.0.0.1:${info.port}`, close: () => server.close() }),
        );
      });
    };
    const tampered = await relay({ ...body, outcome: body.outcome === "pass" ? "missed" : "pass" });
    await expect(take(streamVerdicts(tampered.url, networkId, { verify }), 1)).rejects.toMatchObject({
      code: "INVALID_EVENT",
    });
    tampered.close();
    // The node's genuine event, checked against a signer list without it.
    const genuine = await relay(body);
    const others = verify.signers!.filter((s) => s.toLowerCase() !== node.signer.toLowerCase());
    await expect(
      take(streamVerdicts(genuine.url, networkId, { verify: { ...verify, signers: others } }), 1),
    ).rejects.toMatchObject({
      code: "INVALID_EVENT",
      message: expect.stringContaining("not an active registered oracle"),
    });
    expect((await take(streamVerdicts(genuine.url, networkId, { verify }), 1))[0]?.type).toBe("verdict");
    genuine.close();
  });
});
