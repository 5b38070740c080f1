import { create } from "@bufbuild/protobuf";
import { anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { EVM_PB } from "@chainlink/cre-sdk/pb";
import { encodeFunctionData, hexToBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleWorkflow } from "./bundle";
import { toProtoBigInt } from "./capabilities/types";
import { type CreHost, createCreHost } from "./host";
import { createNodeCapabilities } from "./nodeCapabilities";
import { ANVIL_CHAIN_SELECTOR, type CreTestChain, startCreTestChain } from "./testChain";
import { createInProcessDon } from "./transport";

describe("EVM client reads over viem", () => {
  let chain: CreTestChain;
  let host: CreHost;
  let txHash: `0x${string}`;

  beforeAll(async () => {
    chain = await startCreTestChain();
    // A transaction with one forwarder log to read back.
    txHash = await chain.admin.writeContract({
      address: chain.forwarder,
      abi: chain.forwarderAbi,
      functionName: "setConfig",
      args: [9, 1, 1, chain.signerKeys.map((k) => privateKeyToAccount(k).address)],
      account: chain.admin.account!,
      chain: chain.admin.chain,
    });
    await chain.publicClient.waitForTransactionReceipt({ hash: txHash });
    const signer = privateKeyToAccount(chain.signerKeys[0]!);
    host = await createCreHost({
      bundle: await bundleWorkflow(
        new URL("../../workflows/examples/evm-reads/main.ts", import.meta.url).pathname,
      ),
      config: new TextEncoder().encode(
        JSON.stringify({
          chainSelectorName: "anvil-devnet",
          account: chain.admin.account!.address,
          txHash,
          forwarder: chain.forwarder,
        }),
      ),
      workflow: { name: "evm-reads", owner: "0x8888888888888888888888888888888888888888" },
      don: { id: 1, configVersion: 1, members: [signer.address], f: 0, transport: createInProcessDon(1)[0]! },
      signer,
      capabilities: createNodeCapabilities({
        self: 0,
        donSize: 1,
        chains: [
          {
            chainSelector: ANVIL_CHAIN_SELECTOR,
            chainId: chain.anvil.chainId,
            rpcUrl: chain.anvil.rpcUrl,
            forwarder: chain.forwarder,
            transmitter: privateKeyToAccount(chain.transmitterKeys[0]!),
          },
        ],
      }),
    });
  });
  afterAll(async () => {
    await host?.stop();
    await chain?.stop();
  });

  it("serves HeaderByNumber, BalanceAt, EstimateGas, receipts, transactions and FilterLogs", async () => {
    const out = await host.fireCron(new Date("2026-01-01T00:00:00Z"));
    expect(out.ok, out.error).toBe(true);
    const head = await chain.publicClient.getBlockNumber();
    const tx = await chain.publicClient.getTransaction({ hash: txHash });
    const logs = await chain.publicClient.getLogs({ address: chain.forwarder, fromBlock: 0n });
    expect(out.value).toEqual({
      block: head,
      balance: await chain.publicClient.getBalance({ address: chain.admin.account!.address }),
      gas: 21000n,
      receiptStatus: 1n,
      receiptLogs: 1,
      txNonce: BigInt(tx.nonce),
      forwarderLogs: logs.length,
    });
    expect(logs.length).toBeGreaterThanOrEqual(2);
  });
});

describe("CallContract at a block older than the contract", () => {
  let chain: CreTestChain;
  beforeAll(async () => {
    chain = await startCreTestChain();
  });
  afterAll(() => chain?.stop());

  it("says the finalized block is older than the contract instead of returning empty data", async () => {
    const evm = createNodeCapabilities({
      self: 0,
      donSize: 1,
      chains: [
        {
          chainSelector: ANVIL_CHAIN_SELECTOR,
          chainId: chain.anvil.chainId,
          rpcUrl: chain.anvil.rpcUrl,
          forwarder: chain.forwarder,
          transmitter: privateKeyToAccount(chain.transmitterKeys[0]!),
        },
      ],
    }).find((c) => c.id.startsWith("evm:"))!;
    const call = (blockNumber: bigint) =>
      evm.call(
        "CallContract",
        anyPack(
          EVM_PB.CallContractRequestSchema,
          create(EVM_PB.CallContractRequestSchema, {
            call: {
              to: hexToBytes(chain.forwarder),
              data: hexToBytes(
                encodeFunctionData({ abi: chain.forwarderAbi, functionName: "typeAndVersion" }),
              ),
            },
            blockNumber: toProtoBigInt(blockNumber),
          }),
        ),
        { executionId: `0x${"11".repeat(32)}`, callbackId: 1, log: () => {} },
      );
    // On a fresh anvil the finalized block (SDK: LAST_FINALIZED_BLOCK_NUMBER = -3) is block 0.
    await expect(call(-3n)).rejects.toThrow(
      new RegExp(
        `${chain.forwarder} has no code at the finalized block \\(0\\): the block is older than the contract`,
      ),
    );
    const latest = anyUnpack(await call(-2n), EVM_PB.CallContractReplySchema)!;
    expect(latest.data.length).toBeGreaterThan(0);
  });
});
