import { createTestClient, createWalletClient, type Hex, http, parseEther } from "viem";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vigilRegistryAbi } from "../../contracts/index";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { type Deployed, deployChainFixture } from "../../test/node/chainFixture";
import { lastBlockBefore } from "./lastBlockBefore";
import { readEpochState } from "./readEpochState";

let anvil: Anvil;
let chain: Deployed;
beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
});
afterAll(async () => {
  await anvil?.stop();
});

const device = (i: number) => `0x${String(i).padStart(64, "0")}` as Hex;

describe("epoch state pinned to the block before the epoch's end (anvil)", () => {
  it("finds the last block before a time, and reads devices and stakes at risk there", async () => {
    const client = chain.publicClient;
    const test = createTestClient({
      mode: "anvil",
      chain: { ...foundry, id: anvil.chainId },
      transport: http(anvil.rpcUrl),
    });
    const at = async (timestamp: bigint, send: () => Promise<unknown>) => {
      await test.setNextBlockTimestamp({ timestamp });
      await send();
      return client.getBlockNumber({ cacheTime: 0 });
    };
    // The settlement contract is the only one allowed to slash: impersonate it.
    await test.impersonateAccount({ address: chain.settlement });
    await test.setBalance({ address: chain.settlement, value: parseEther("1") });
    const asSettlement = createWalletClient({
      account: chain.settlement,
      chain: { ...foundry, id: anvil.chainId },
      transport: http(anvil.rpcUrl),
    });
    const slash = async (networkId: bigint, id: Hex, amount: bigint) => {
      const hash = await asSettlement.writeContract({
        address: chain.registry,
        abi: vigilRegistryAbi,
        functionName: "slashDevice",
        args: [networkId, id, amount],
      });
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      expect(receipt.status).toBe("success");
    };

    const T = (await client.getBlock()).timestamp + 1_000n;
    let networkId = 0n;
    await at(T - 5n, async () => {
      networkId = await chain.registerNetwork({ epochLength: 100, genesisTime: T, k: 1 });
    });
    const beforeStart = await at(T - 4n, () => chain.registerDevice(networkId, device(1)));
    const midSlash = await at(T + 10n, () => slash(networkId, device(1), parseEther("0.4")));
    const lastInEpoch = await at(T + 20n, () => chain.registerDevice(networkId, device(2)));
    await at(T + 150n, () => slash(networkId, device(1), parseEther("0.1")));
    await at(T + 151n, () => chain.registerDevice(networkId, device(3)));

    expect(await lastBlockBefore(client, T)).toBe(beforeStart);
    expect(await lastBlockBefore(client, T + 10n)).toBe(beforeStart);
    expect(await lastBlockBefore(client, T + 11n)).toBe(midSlash);
    expect(await lastBlockBefore(client, T + 100n, beforeStart)).toBe(lastInEpoch);
    expect(await lastBlockBefore(client, T + 10_000n)).toBe(await client.getBlockNumber({ cacheTime: 0 }));
    expect(await lastBlockBefore(client, 0n)).toBeNull();

    const state = await readEpochState(client, chain.registry, networkId, {
      startTime: T,
      endTime: T + 100n,
    });
    expect(state.blockNumber).toBe(lastInEpoch);
    expect(state.k).toBe(1);
    // Device 3 came after the epoch; device 1 keeps the stake it had at risk, whatever was taken since.
    expect(state.devices.map((d) => [d.deviceId, d.stake, d.slashedInEpoch])).toEqual([
      [device(1), parseEther("1"), parseEther("0.4")],
      [device(2), parseEther("1"), 0n],
    ]);
    // The same call later, after more blocks, reads the same.
    await at(T + 200n, () => chain.registerDevice(networkId, device(4)));
    expect(
      await readEpochState(client, chain.registry, networkId, { startTime: T, endTime: T + 100n }),
    ).toEqual(state);
  });
});
