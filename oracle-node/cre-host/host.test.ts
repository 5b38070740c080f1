import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Address,
  bytesToHex,
  decodeFunctionData,
  encodeAbiParameters,
  type Hex,
  hexToBytes,
  parseAbiParameters,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleWorkflow } from "./bundle";
import { forwarderAbi } from "./capabilities/evm";
import { roundLeader } from "./consensus";
import { type LocalDon, startLocalDon } from "./localDon";
import { computeExecutionId, decodeRawReport, workflowNameToBytes10 } from "./report";
import { ANVIL_CHAIN_SELECTOR, type CreTestChain, startCreTestChain } from "./testChain";

const OWNER: Hex = "0x1111111111111111111111111111111111111111";

describe("CRE host running an SDK-example-shaped workflow on a 4-node DON", () => {
  let chain: CreTestChain;
  let server: Server;
  let don: LocalDon;
  let recorder: { address: Address; abi: import("viem").Abi };
  const prices = [100n, 103n, 101n, 250n];
  let served = 0;

  beforeAll(async () => {
    chain = await startCreTestChain();
    recorder = await chain.deploy("ReportRecorder.sol", "ReportRecorder", [chain.forwarder]);
    // Each node's fetch gets the next price, so the DON sees four different observations.
    server = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ price: String(prices[served++ % prices.length]) }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const bundle = await bundleWorkflow(
      new URL("../../workflows/examples/price-feed/main.ts", import.meta.url).pathname,
    );
    const config = new TextEncoder().encode(
      JSON.stringify({
        schedule: "*/30 * * * * *",
        url: `http://127.0.0.1:${port}/price`,
        chainSelectorName: "anvil-devnet",
        receiver: recorder.address,
        gasLimit: "500000",
      }),
    );
    don = await startLocalDon({
      bundle,
      config,
      workflow: { name: "price-feed", owner: OWNER },
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
    });
  });

  afterAll(async () => {
    await don?.stop();
    await new Promise((r) => server?.close(r));
    await chain?.stop();
  });

  it("subscribes to the cron trigger", () => {
    expect(don.hosts[0]!.subscriptions).toMatchObject([
      { index: 0, capabilityId: "cron-trigger@1.0.0", method: "Trigger" },
    ]);
  });

  it("fetches in node mode, agrees on the median, signs f+1 and writes through the real forwarder", async () => {
    const scheduled = new Date("2026-01-01T00:00:30Z");
    const outcomes = await don.fireCron(scheduled);
    for (const o of outcomes) expect(o, o.error).toMatchObject({ ok: true, value: "price 101 written" });
    expect(new Set(outcomes.map((o) => o.executionId)).size).toBe(1);

    expect(await chain.publicClient.readContract({ ...recorder, functionName: "count" })).toBe(1n);
    const [metadata, body] = (await chain.publicClient.readContract({
      ...recorder,
      functionName: "delivery",
      args: [0n],
    })) as [Hex, Hex];
    expect(body).toBe(encodeAbiParameters(parseAbiParameters("uint256, uint64"), [101n, 30n + 1767225600n]));
    // metadata = workflow id (32) ‖ name (10) ‖ owner (20) ‖ report id (2), as the forwarder passes it.
    const host = don.hosts[0]!;
    expect(metadata).toBe(
      `${host.workflowId}${workflowNameToBytes10("price-feed").slice(2)}${OWNER.slice(2)}0000`,
    );
    expect(workflowNameToBytes10("price-feed")).toMatch(/^0x[0-9a-f]{20}$/);
  });

  it("still settles with one (non-leader) node down: 2f+1 observations, f+1 signatures", async () => {
    const scheduled = new Date("2026-01-01T00:01:00Z");
    const host = don.hosts[0]!;
    const leader = roundLeader(computeExecutionId(host.workflowId, `cron:0:${scheduled.toISOString()}`), 4);
    const down = (leader + 1) % 4;
    const outcomes = await Promise.all(
      don.hosts.filter((_, i) => i !== down).map((h) => h.fireCron(scheduled)),
    );
    for (const o of outcomes) expect(o, o.error).toMatchObject({ ok: true });
    expect(await chain.publicClient.readContract({ ...recorder, functionName: "count" })).toBe(2n);
  });

  it("the forwarder rejects the same report with f signatures, a tampered body, or a replay", async () => {
    const logs = await chain.publicClient.getContractEvents({
      address: chain.forwarder,
      abi: forwarderAbi,
      eventName: "ReportProcessed",
      fromBlock: 0n,
    });
    expect(logs).toHaveLength(2);
    const tx = await chain.publicClient.getTransaction({ hash: logs[0]!.transactionHash });
    const { args } = decodeFunctionData({ abi: forwarderAbi, data: tx.input });
    const [receiver, rawReport, reportContext, sigs] = args as [Address, Hex, Hex, Hex[]];
    expect(sigs).toHaveLength(chain.f + 1);
    const { metadata } = decodeRawReport(hexToBytes(rawReport));
    expect(metadata).toMatchObject({ version: 1, donId: chain.donId, donConfigVersion: chain.configVersion });

    const account = privateKeyToAccount(chain.transmitterKeys[0]!);
    const attempt = (raw: Hex, s: Hex[]) =>
      chain.publicClient.simulateContract({
        address: chain.forwarder,
        abi: forwarderAbi,
        functionName: "report",
        args: [receiver, raw, reportContext, s],
        account,
      });
    await expect(attempt(rawReport, sigs.slice(0, chain.f))).rejects.toThrow(/InvalidSignatureCount/);
    const tampered = hexToBytes(rawReport);
    tampered[tampered.length - 1]! ^= 1;
    await expect(attempt(bytesToHex(tampered), sigs)).rejects.toThrow(/InvalidSigner/);
    await expect(attempt(rawReport, sigs)).rejects.toThrow(/AlreadyAttempted/);
  });
});
