// The epoch clock of the composition root: with short devnet epochs, every node closes each epoch on
// its own at epoch end + grace, and the four agree on one certified result per epoch.
import { bytesToHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyFromLabel } from "../../attestation/testing";
import type { EpochCertificate } from "../../oracle-node/agreement/index";
import type { VigilNode } from "../../oracle-node/node";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { deployChainFixture } from "./chainFixture";
import { startTestNodes, until } from "./testNodes";

let anvil: Anvil;
let nodes: VigilNode[] = [];
const certificates = new Map<number, EpochCertificate[]>();

beforeAll(async () => {
  anvil = await startAnvil();
  const chain = await deployChainFixture(anvil);
  const networkId = await chain.registerNetwork({ epochLength: 60, k: 3 });
  for (let i = 0; i < 3; i++)
    await chain.registerDevice(networkId, bytesToHex(keyFromLabel(`clock-device-${i}`).publicKey));
  // Epoch 0 begins two seconds from now and epochs last three seconds (devnet overrides).
  const genesis = Math.floor(Date.now() / 1000) + 2;
  nodes = [];
  const started = await startTestNodes({
    anvil,
    chain,
    networkId,
    count: 4,
    env: { VIGIL_EPOCH_GENESIS_TIME: String(genesis), VIGIL_EPOCH_LENGTH_SECONDS: "3" },
    options: {
      onCertificate: (c) => {
        const list = certificates.get(Number(c.result.epoch)) ?? [];
        list.push(c);
        certificates.set(Number(c.result.epoch), list);
      },
    },
  });
  nodes.push(...started);
});

afterAll(async () => {
  for (const n of nodes.reverse()) await n.close();
  await anvil?.stop();
});

describe("epoch clock", () => {
  it("closes epochs on time on every node and certifies one result per epoch", async () => {
    // Whichever epoch is the first all four closed on their own (slow start-up may skip epoch 0).
    const complete = () => [...certificates.entries()].find(([, list]) => list.length === 4);
    await until(() => complete() !== undefined, "all four nodes to certify one epoch", 30_000);
    const [, list] = complete()!;
    const roots = new Set(list.map((c) => c.result.resultRoot));
    expect(roots.size).toBe(1);
    // Nobody heartbeated: three registered devices, zero uptime, zero reward.
    const result = list[0]!.result;
    expect(result.deviceCount).toBe(3);
    expect(result.lines.every((l) => l.uptimeBps === 0 && l.reward === 0n)).toBe(true);
    for (const n of nodes) {
      const text = await (await fetch(`${n.admin.url}/metrics`)).text();
      expect(text).toMatch(/vigil_epoch_closes_total\{network="\d+"\} [1-9]/);
    }
  });
});
