// Vigil's own workflows on a 4-node DON against the real contracts: KeystoneForwarder checks the
// DON's signatures and VigilSettlement checks the workflow owner and bytes10 name in the metadata.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Abi, type Address, bytesToHex, type Hex, keccak256, parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeEvidence } from "../../workflows/fraud-slashing/testEvidence";
import { bundleWorkflow } from "./bundle";
import { startLocalDon } from "./localDon";
import { workflowNameToBytes10 } from "./report";
import { ANVIL_CHAIN_SELECTOR, type CreTestChain, deployVigil, startCreTestChain } from "./testChain";

const OWNER: Hex = "0x2222222222222222222222222222222222222222";
const workflowsDir = new URL("../../workflows/", import.meta.url).pathname;

describe("Vigil workflows settle VigilSettlement through KeystoneForwarder", () => {
  let chain: CreTestChain;
  let settlement: { address: Address; abi: Abi };
  let registry: { address: Address; abi: Abi };
  let networkId: bigint;
  const servers: Server[] = [];
  const apiUrls: string[] = [];
  const resultRoot = keccak256("0x01");
  const fraud = computeEvidence(1n, 0n, "settlement-it");
  if (fraud.verdict.status !== "fraud") throw new Error("fixture must prove fraud");
  const evidence = fraud.verdict.evidence;

  beforeAll(async () => {
    chain = await startCreTestChain();
    const vigil = await deployVigil(chain, {
      workflowOwner: OWNER,
      settleName: workflowNameToBytes10("vigil-epoch-settlement"),
      slashName: workflowNameToBytes10("vigil-fraud-slashing"),
    });
    ({ settlement, registry, networkId } = vigil);
    expect(networkId).toBe(1n);
    await vigil.send(registry, "registerDevice", [
      networkId,
      bytesToHex(fraud.deviceId),
      chain.admin.account!.address,
    ]);

    // Four node APIs; each node reads its own through the VIGIL_NODE_API_URL secret.
    const result = {
      networkId: "1",
      epoch: "0",
      resultRoot,
      observationsCommitment: keccak256("0x02"),
      deviceCount: 1,
      totalReward: parseEther("900").toString(),
      totalSlash: "0",
      settled: false,
      slashes: [],
      votes: [],
    };
    for (let i = 0; i < 4; i++) {
      const server = createServer((req, res) => {
        const ok = req.url === "/v1/networks/1/epochs/0";
        res.statusCode = ok ? 200 : 404;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(ok ? result : { error: { code: "EPOCH_NOT_FOUND", message: "no result" } }));
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      servers.push(server);
      apiUrls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await chain?.stop();
  });

  const startDon = async (workflow: string, config: Record<string, unknown>) =>
    startLocalDon({
      bundle: await bundleWorkflow(`${workflowsDir}${workflow}/main.ts`),
      config: new TextEncoder().encode(JSON.stringify(config)),
      workflow: { name: `vigil-${workflow}`, owner: OWNER },
      donId: chain.donId,
      configVersion: chain.configVersion,
      f: chain.f,
      signerKeys: chain.signerKeys,
      transmitterKeys: chain.transmitterKeys,
      chain: {
        chainSelector: ANVIL_CHAIN_SELECTOR,
        chainId: chain.anvil.chainId,
        rpcUrl: chain.anvil.rpcUrl,
        forwarder: chain.forwarder,
      },
      transmitDelayMs: 300,
      secrets: (node) => (id) => (id === "VIGIL_NODE_API_URL" ? apiUrls[node] : undefined),
    });

  it("epoch-settlement settles the next epoch with the agreed result", async () => {
    const don = await startDon("epoch-settlement", {
      networkId: "1",
      schedule: "0 * * * * *",
      nodeApiUrl: "http://127.0.0.1:1",
      chainSelectorName: "anvil-devnet",
      settlement: settlement.address,
      gasLimit: "1000000",
    });
    try {
      const outcomes = await don.fireCron(new Date("2026-01-01T00:01:00Z"));
      for (const o of outcomes) expect(o, o.error).toMatchObject({ ok: true });
      expect(outcomes[0]!.value).toMatch(/^settled epoch 0 in 0x/);
      const stored = (await chain.publicClient.readContract({
        ...settlement,
        functionName: "epochResult",
        args: [networkId, 0n],
      })) as { resultRoot: Hex; totalReward: bigint };
      expect(stored.resultRoot).toBe(resultRoot);
      expect(stored.totalReward).toBe(parseEther("900"));
      expect(
        await chain.publicClient.readContract({
          ...settlement,
          functionName: "nextEpoch",
          args: [networkId],
        }),
      ).toBe(1n);

      // The next tick finds epoch 1 not agreed yet and writes nothing.
      const later = await don.fireCron(new Date("2026-01-01T00:02:00Z"));
      expect(later.map((o) => o.value)).toEqual(Array(4).fill("epoch 1 not ready"));
    } finally {
      await don.stop();
    }
  });

  it("fraud-slashing slashes the device at once, and the same evidence never twice", async () => {
    const don = await startDon("fraud-slashing", {
      networkId: "1",
      slashAmount: parseEther("4").toString(),
      authorizedKeys: [],
      chainSelectorName: "anvil-devnet",
      settlement: settlement.address,
      gasLimit: "1000000",
    });
    try {
      const input = new TextEncoder().encode(JSON.stringify({ evidence: bytesToHex(evidence) }));
      const outcomes = await don.fireHttp(input);
      for (const o of outcomes) expect(o, o.error).toMatchObject({ ok: true });
      expect(
        await chain.publicClient.readContract({
          ...settlement,
          functionName: "isEvidenceApplied",
          args: [keccak256(evidence)],
        }),
      ).toBe(true);
      const budget = (await chain.publicClient.readContract({
        ...settlement,
        functionName: "budgetOf",
        args: [networkId],
      })) as bigint;

      // Submitted again as a new request: a new execution and report, which the contract skips.
      const again = await don.fireHttp(input, { eventId: "second-submission" });
      for (const o of again) expect(o, o.error).toMatchObject({ ok: true });
      expect(
        await chain.publicClient.readContract({ ...settlement, functionName: "budgetOf", args: [networkId] }),
      ).toBe(budget);
    } finally {
      await don.stop();
    }
  });
});
