import { create } from "@bufbuild/protobuf";
import { SDK_PB, VALUES_PB } from "@chainlink/cre-sdk/pb";
import { pino } from "pino";
import { bytesToHex, concat, hexToBytes, keccak256, recoverAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createP2P, type P2P, PeerAllowList } from "../p2p/index";
import { bundleWorkflow } from "./bundle";
import { DonConsensus } from "./consensus";
import { createCreHost } from "./host";
import {
  CRE_TOPIC_KIND,
  CRE_TOPIC_LIMITS,
  createLibp2pDonTransport,
  decodeDonMessage,
  encodeDonMessage,
} from "./libp2pTransport";
import { encodeReportContext, reportDigest } from "./report";
import type { DonTransport } from "./transport";
import { valueToJs } from "./values";

const logger = pino({ level: "silent" });

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timeout waiting for the gossip mesh");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("CRE consensus over 4 real libp2p nodes on loopback", () => {
  const nodes: P2P[] = [];
  const don: DonConsensus[] = [];
  const transports: DonTransport[] = [];
  const signers = Array.from({ length: 4 }, () => privateKeyToAccount(generatePrivateKey()));

  beforeAll(async () => {
    const allowList = new PeerAllowList();
    for (let i = 0; i < 4; i++) {
      nodes.push(
        await createP2P(
          {
            listen: ["/ip4/127.0.0.1/tcp/0"],
            mdns: false,
            namespace: "cre-test",
            heartbeatIntervalMs: 100,
            extraTopics: { [CRE_TOPIC_KIND]: CRE_TOPIC_LIMITS },
          },
          { logger, allowList },
        ),
      );
    }
    allowList.set(nodes.map((n) => n.peerId));
    const peerIds = nodes.map((n) => n.peerId);
    for (const [i, p2p] of nodes.entries()) {
      transports.push(createLibp2pDonTransport({ p2p, peerIds }));
      don.push(
        new DonConsensus({
          transport: transports[i]!,
          members: signers.map((s) => s.address),
          f: 1,
          signer: signers[i]!,
          timeoutMs: 10_000,
        }),
      );
    }
    for (let i = 1; i < 4; i++) await nodes[i]!.dial(nodes[0]!.addresses()[0]!);
    await nodes[2]!.dial(nodes[1]!.addresses()[0]!);
    await nodes[3]!.dial(nodes[2]!.addresses()[0]!);
    const topic = nodes[0]!.topic(CRE_TOPIC_KIND);
    const pubsub = (p: P2P) =>
      (p.libp2p as unknown as { services: { pubsub: { getSubscribers(t: string): unknown[] } } }).services
        .pubsub;
    await until(() => nodes.every((n) => pubsub(n).getSubscribers(topic).length >= 2));
  });

  afterAll(async () => {
    for (const d of don) d.close();
    for (const t of transports) await t.close();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it("frames messages losslessly and refuses garbage", () => {
    const m = { kind: "signature" as const, round: "0xab/3", payload: new Uint8Array([1, 2, 3]) };
    expect(decodeDonMessage(encodeDonMessage(m))).toEqual(m);
    expect(decodeDonMessage(new Uint8Array([9, 0, 0]))).toBeUndefined();
    expect(decodeDonMessage(new Uint8Array([0, 0, 9, 1]))).toBeUndefined();
  });

  it("agrees on one median over gossip, the same on every node", async () => {
    const executionId = keccak256("0x01");
    const outcomes = await Promise.all(
      don.map((d, i) =>
        d.simple(
          executionId,
          -1,
          create(SDK_PB.SimpleConsensusInputsSchema, {
            observation: {
              case: "value",
              value: create(VALUES_PB.ValueSchema, {
                value: { case: "int64Value", value: BigInt([5, 9, 7, 100][i]!) },
              }),
            },
            descriptors: { descriptor: { case: "aggregation", value: SDK_PB.AggregationType.MEDIAN } },
          }),
        ),
      ),
    );
    expect(outcomes.map(valueToJs)).toEqual([7n, 7n, 7n, 7n]);
  });

  it("collects f+1 valid member signatures for the leader's report", async () => {
    const executionId = keccak256("0x02");
    const body = hexToBytes("0xc0ffee");
    const ctx = encodeReportContext(new Uint8Array(32), 0n);
    const raw = concat([new Uint8Array(109), body]);
    const signed = await Promise.all(
      don.map((d) =>
        d.report(
          executionId,
          1,
          ctx,
          () => raw,
          (r) => {
            if (bytesToHex(r) !== bytesToHex(raw)) throw new Error("unexpected proposal");
          },
        ),
      ),
    );
    for (const s of signed) {
      expect(s.sigs).toHaveLength(2);
      for (const { signerId, signature } of s.sigs) {
        const v = signature.slice();
        v[64] = v[64]! + 27;
        expect(await recoverAddress({ hash: reportDigest(raw, ctx), signature: bytesToHex(v) })).toBe(
          signers[signerId]!.address,
        );
      }
    }
  });

  it("runs a workflow on 4 CRE hosts whose consensus goes over gossip", async () => {
    for (const d of don) d.close();
    await Promise.all(transports.splice(0).map((t) => t.close()));
    const peerIds = nodes.map((n) => n.peerId);
    const bundle = await bundleWorkflow(
      new URL("../../workflows/examples/host-checks/main.ts", import.meta.url).pathname,
    );
    const hosts = await Promise.all(
      nodes.map((p2p, i) => {
        const transport = createLibp2pDonTransport({ p2p, peerIds });
        transports.push(transport);
        return createCreHost({
          bundle,
          config: new TextEncoder().encode(JSON.stringify({ label: "gossip" })),
          workflow: { name: "host-checks", owner: "0x7777777777777777777777777777777777777777" },
          don: { id: 1, configVersion: 1, members: signers.map((s) => s.address), f: 1, transport },
          signer: signers[i]!,
          capabilities: [],
          secrets: (id) => (id === "API_KEY" ? "over-gossip" : undefined),
        });
      }),
    );
    try {
      const input = new TextEncoder().encode(JSON.stringify({ case: "allowed-secret" }));
      const outcomes = await Promise.all(hosts.map((h) => h.fireHttp(input, { triggerIndex: 1 })));
      for (const o of outcomes) expect(o, o.error).toMatchObject({ ok: true, value: "over-gossip" });
    } finally {
      await Promise.all(hosts.map((h) => h.stop()));
    }
  });
});
