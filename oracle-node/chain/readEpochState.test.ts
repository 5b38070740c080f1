import {
  createTestClient,
  createWalletClient,
  encodeAbiParameters,
  type Hex,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vigilRegistryAbi, vigilSettlementAbi } from "../../contracts/index";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { type Deployed, deployChainFixture } from "../../test/node/chainFixture";
import { lastBlockBefore } from "./lastBlockBefore";
import { genesisBeacon, readEpochBeacon } from "./readEpochBeacon";
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

const testClient = () =>
  createTestClient({
    mode: "anvil",
    chain: { ...foundry, id: anvil.chainId },
    transport: http(anvil.rpcUrl),
  });

const device = (i: number) => `0x${String(i).padStart(64, "0")}` as Hex;

describe("epoch state pinned to the block before the epoch's end (anvil)", () => {
  it("finds the last block before a time, and reads devices and stakes at risk there", async () => {
    const client = chain.publicClient;
    const test = testClient();
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

  it("reads an epoch's beacon pinned before its start, unmoved by a settlement at the boundary", async () => {
    const client = chain.publicClient;
    const test = testClient();
    const beaconNow = (networkId: bigint) =>
      client.readContract({
        address: chain.settlement,
        abi: vigilSettlementAbi,
        functionName: "beacon",
        args: [networkId],
      });
    const T = (await client.getBlock()).timestamp + 5_000n;
    const networkId = await chain.registerNetwork({ epochLength: 100, genesisTime: T, k: 1 });
    // Before any settlement the contract's beacon is beacon(0), which the node can compute itself.
    expect(await beaconNow(networkId)).toBe(genesisBeacon(networkId));

    await test.setNextBlockTimestamp({ timestamp: T - 1n });
    await test.mine({ blocks: 1 });
    // A settlement one second after epoch 1 starts moves the beacon (VigilSettlement's
    // s_beacons[networkId], storage slot 14; the check below fails if the slot is wrong).
    const moved = keccak256(toHex("moved beacon"));
    await test.setNextBlockTimestamp({ timestamp: T + 101n });
    await test.mine({ blocks: 1 });
    await test.setStorageAt({
      address: chain.settlement,
      index: keccak256(encodeAbiParameters([{ type: "uint64" }, { type: "uint256" }], [networkId, 14n])),
      value: moved,
    });
    await test.mine({ blocks: 1 });
    expect(await beaconNow(networkId)).toBe(moved);

    // Epoch 1 started at T + 100, before the move: every node reads the old beacon for it.
    const epoch1 = await readEpochBeacon(client, chain.settlement, networkId, T + 100n);
    expect(epoch1.beacon).toBe(genesisBeacon(networkId));
    // Epoch 2 starts after the move and gets the new one.
    await test.setNextBlockTimestamp({ timestamp: T + 201n });
    await test.mine({ blocks: 1 });
    expect((await readEpochBeacon(client, chain.settlement, networkId, T + 200n)).beacon).toBe(moved);
    // An epoch that started before the chain's first block: nothing was settled, the genesis beacon.
    const first = (await client.getBlock({ blockNumber: 0n })).timestamp;
    expect(await readEpochBeacon(client, chain.settlement, networkId, first)).toEqual({
      beacon: genesisBeacon(networkId),
      blockNumber: null,
    });
  });
});
