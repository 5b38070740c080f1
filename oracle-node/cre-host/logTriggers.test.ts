import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundleWorkflow } from "./bundle";
import { type CreHost, createCreHost, type ExecutionOutcome } from "./host";
import { startLogTriggers } from "./logTriggers";
import { ANVIL_CHAIN_SELECTOR, type CreTestChain, startCreTestChain } from "./testChain";
import { createInProcessDon } from "./transport";

// keccak256("ConfigSet(uint32,uint32,uint8,address[])"), emitted by KeystoneForwarder.setConfig.
const CONFIG_SET = "0x4120bd3b23957dd423555817d55654d4481b438aa15485c21b4180c784f1a455";

describe("EVM log trigger", () => {
  let chain: CreTestChain;
  let host: CreHost;

  beforeAll(async () => {
    chain = await startCreTestChain();
    const signer = privateKeyToAccount("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");
    host = await createCreHost({
      bundle: await bundleWorkflow(
        new URL("../../workflows/examples/log-echo/main.ts", import.meta.url).pathname,
      ),
      config: new TextEncoder().encode(
        JSON.stringify({ chainSelectorName: "anvil-devnet", address: chain.forwarder, topic0: CONFIG_SET }),
      ),
      workflow: { name: "log-echo", owner: "0x6666666666666666666666666666666666666666" },
      don: { id: 1, configVersion: 1, members: [signer.address], f: 0, transport: createInProcessDon(1)[0]! },
      signer,
      capabilities: [],
    });
  });
  afterAll(async () => {
    await host?.stop();
    await chain?.stop();
  });

  it("fires one execution per matching log (not for the same event from another address), with the log as the trigger payload", async () => {
    expect(host.subscriptions[0]).toMatchObject({
      capabilityId: `evm:ChainSelector:${ANVIL_CHAIN_SELECTOR}@1.0.0`,
      method: "LogTrigger",
    });
    const outcomes: ExecutionOutcome[] = [];
    const errors: unknown[] = [];
    const signers = chain.signerKeys.map((k) => privateKeyToAccount(k).address);
    const setConfig = async (forwarder: Address, donId: number) => {
      const hash = await chain.admin.writeContract({
        address: forwarder,
        abi: chain.forwarderAbi,
        functionName: "setConfig",
        args: [donId, 1, 1, signers],
        account: chain.admin.account!,
        chain: chain.admin.chain,
      });
      await chain.publicClient.waitForTransactionReceipt({ hash });
      return hash;
    };
    // The same event from another forwarder: topic 0 matches, the address does not.
    const other = await chain.deploy("KeystoneForwarder.sol", "KeystoneForwarder");
    const watcher = startLogTriggers(host, {
      chainSelector: ANVIL_CHAIN_SELECTOR,
      client: chain.publicClient,
      pollingIntervalMs: 50,
      fromBlock: (await chain.publicClient.getBlockNumber()) + 1n,
      onOutcome: (o) => outcomes.push(o),
      onError: (e) => errors.push(e),
    });
    try {
      await setConfig(other.address, 3);
      const hash = await setConfig(chain.forwarder, 2);
      await vi.waitFor(() => expect(outcomes.length + errors.length).toBeGreaterThan(0), { timeout: 10_000 });
      expect(errors).toEqual([]);
      // Logs fire in chain order: the other forwarder's earlier log was passed over, not queued.
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ ok: true, value: `${hash}:0` });
    } finally {
      watcher.stop();
    }
  });
});
