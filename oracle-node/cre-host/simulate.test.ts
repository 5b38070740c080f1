import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EVM_PB } from "@chainlink/cre-sdk/pb";
import type { Abi, Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readWorkflowYaml, simulateWorkflow } from "./simulate";
import { type CreTestChain, startCreTestChain } from "./testChain";

const exampleDir = new URL("../../workflows/examples/price-feed", import.meta.url).pathname;

describe("vigil workflow simulate", () => {
  let chain: CreTestChain;
  let recorder: { address: Address; abi: Abi };
  let server: Server;
  let configPath: string;

  beforeAll(async () => {
    chain = await startCreTestChain();
    recorder = await chain.deploy("ReportRecorder.sol", "ReportRecorder", [chain.forwarder]);
    server = createServer((_req, res) => res.end(JSON.stringify({ price: "4200" })));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const dir = await mkdtemp("/tmp/cre-sim-");
    configPath = `${dir}/config.json`;
    await writeFile(
      configPath,
      JSON.stringify({
        schedule: "*/30 * * * * *",
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/price`,
        chainSelectorName: "anvil-devnet",
        receiver: recorder.address,
        gasLimit: "500000",
      }),
    );
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await chain?.stop();
  });

  const run = (broadcast: boolean) =>
    simulateWorkflow({
      workflowDir: exampleDir,
      configPath,
      broadcast,
      rpcUrl: chain.anvil.rpcUrl,
      forwarder: chain.forwarder,
      owner: "0x5555555555555555555555555555555555555555",
      signerKeys: chain.signerKeys,
      transmitterKey: chain.transmitterKeys[0]!,
    });

  it("simulates the write with eth_call and sends nothing", async () => {
    const result = await run(false);
    expect(result.outcome, result.outcome.error).toMatchObject({ ok: true, value: "price 4200 written" });
    expect(result.writes[0]).toMatchObject({
      simulated: true,
      txStatus: EVM_PB.TxStatus.SUCCESS,
      receiverStatus: EVM_PB.ReceiverContractExecutionStatus.SUCCESS,
    });
    expect(result.writes[0]!.fee).toBeGreaterThan(0n);
    expect(await chain.publicClient.readContract({ ...recorder, functionName: "count" })).toBe(0n);
  });

  it("sends the write with --broadcast", async () => {
    const result = await run(true);
    expect(result.outcome, result.outcome.error).toMatchObject({ ok: true });
    expect(result.writes.some((w) => w.sentByThisNode && w.txHash)).toBe(true);
    expect(await chain.publicClient.readContract({ ...recorder, functionName: "count" })).toBe(1n);
  });

  it("reports a forwarder rejection when the DON's signers are not the forwarder's", async () => {
    const result = await simulateWorkflow({
      workflowDir: exampleDir,
      configPath,
      rpcUrl: chain.anvil.rpcUrl,
      forwarder: chain.forwarder,
      owner: "0x5555555555555555555555555555555555555555",
    });
    expect(result.outcome.ok).toBe(false);
    expect(result.writes[0]).toMatchObject({ simulated: true, txStatus: EVM_PB.TxStatus.REVERTED });
    expect(result.writes[0]!.error).toMatch(/InvalidSigner/);
  });

  it("reads a target's workflow name and config path from workflow.yaml", () => {
    const yaml =
      'local-simulation:\n  user-workflow:\n    workflow-name: "vigil-x"\n  workflow-artifacts:\n    config-path: "./config.local.json"\nstaging:\n  user-workflow:\n    workflow-name: "other"\n';
    expect(readWorkflowYaml(yaml, "local-simulation")).toEqual({
      name: "vigil-x",
      configPath: "./config.local.json",
    });
    expect(readWorkflowYaml(yaml, "missing")).toEqual({});
  });
});
