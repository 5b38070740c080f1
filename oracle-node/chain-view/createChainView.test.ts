import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { Registry } from "prom-client";
import {
  type Address,
  createWalletClient,
  type Hex,
  hexToBytes,
  http,
  maxUint256,
  type PublicClient,
  parseEther,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadArtifact, vigilRegistryAbi, vigilTokenAbi } from "../../contracts/index";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { ANVIL_KEY, type Deployed, deployChainFixture } from "../../test/node/chainFixture";
import { createChainClient } from "../chain/index";
import { createLogger } from "../logger";
import { createChainView } from "./createChainView";
import type { ChainView } from "./interface";
import type { ChainViewOptions } from "./options";

let anvil: Anvil;
let chain: Deployed;
let client: PublicClient;
let networkId: bigint;
/** A network the views do not serve. */
let otherNetworkId: bigint;
const views: ChainView[] = [];
/** How long a condition may take: a poll tick is 50 ms, but anvil shares a busy machine. */
const soon = { timeout: 15_000, interval: 50 };
const owner = privateKeyToAccount(ANVIL_KEY);

const deviceId = (label: number) => `0x${label.toString(16).padStart(64, "0")}` as Hex;
const newPeer = async () => peerIdFromPrivateKey(await generateKeyPair("Ed25519")).toString();
const newSigner = () => privateKeyToAccount(generatePrivateKey()).address;

/** Sends one transaction as `key`'s account and waits for it to be mined. */
async function send(
  to: Address,
  functionName: "requestDeviceExit" | "withdrawDeviceStake" | "slashDevice",
  args: readonly unknown[],
  key: Hex = ANVIL_KEY,
) {
  const wallet = createWalletClient({
    account: privateKeyToAccount(key),
    chain: { ...foundry, id: anvil.chainId },
    transport: http(anvil.rpcUrl),
  });
  const hash = await wallet.writeContract({
    address: to,
    abi: vigilRegistryAbi,
    functionName,
    args,
  } as Parameters<typeof wallet.writeContract>[0]);
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  expect(receipt.status).toBe("success");
}

/** Sum of a metric's values whose labels include `labels`. */
async function metric(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  return (await m.get()).values
    .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

function startView(
  opts: Partial<ChainViewOptions> & {
    client?: PublicClient;
    contracts?: { registry: Address; settlement: Address };
  } = {},
) {
  const metrics = new Registry();
  const { client: viewClient = client, contracts = chain, ...rest } = opts;
  const view = createChainView(
    {
      registry: contracts.registry,
      settlement: contracts.settlement,
      networks: [networkId],
      pollIntervalMs: 50,
      ...rest,
    },
    { client: viewClient, logger: createLogger({ level: "silent" }), metrics },
  );
  views.push(view);
  return { view, metrics };
}

/** `client` whose `getLogs` rejects when `refuse` says so, recording every range it was asked for. */
function flakyClient(refuse: (fromBlock: bigint, toBlock: bigint) => boolean) {
  const ranges: { fromBlock: bigint; toBlock: bigint; refused: boolean }[] = [];
  const wrapped = {
    ...client,
    getLogs: ((args: { fromBlock: bigint; toBlock: bigint }) => {
      const refused = refuse(args.fromBlock, args.toBlock);
      ranges.push({ fromBlock: args.fromBlock, toBlock: args.toBlock, refused });
      return refused ? Promise.reject(new Error("RPC refused the range")) : client.getLogs(args);
    }) as unknown as PublicClient["getLogs"],
  } as PublicClient;
  return { client: wrapped, ranges };
}

beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
  client = createChainClient({ rpcUrls: [anvil.rpcUrl], chainId: anvil.chainId, pollingIntervalMs: 50 });
  networkId = await chain.registerNetwork({ epochLength: 30, k: 2 });
  await chain.registerDevice(networkId, deviceId(1));
  await chain.registerDevice(networkId, deviceId(2));
  // Another network's device: never in this view.
  otherNetworkId = await chain.registerNetwork({ epochLength: 30, k: 1 });
  await chain.registerDevice(otherNetworkId, deviceId(3));
});
afterEach(() => {
  for (const v of views.splice(0)) v.stop();
});
afterAll(async () => {
  await anvil?.stop();
});

describe("the chain view against a real anvil", () => {
  it("reads everything once at start: networks, active devices, operators and the allow-list, settlement", async () => {
    const peer = await newPeer();
    const signer = newSigner();
    await chain.registerOperator(signer, peer);
    const { view, metrics } = startView({ epoch: { lengthSeconds: 600 } });
    await view.start();
    expect(view.network(networkId)).toMatchObject({ networkId, epochLength: 600, k: 2, deviceCount: 2 });
    expect(view.network(999n)).toBeUndefined();
    expect(view.devices(networkId).map((d) => d.deviceId)).toEqual([deviceId(1), deviceId(2)]);
    expect(view.device(networkId, deviceId(3))).toBeUndefined();
    expect(view.allowList.has(peer)).toBe(true);
    expect(view.signerOf(peer)).toBe(signer);
    expect(view.activeSigners()).toContain(signer);
    expect(view.settlement(networkId)).toMatchObject({ nextEpoch: 0n, lastSettledEpoch: null });
    expect(view.processedBlock()).toBe(await client.getBlockNumber());
    expect(view.chainOk()).toBe(true);
    expect(await metric(metrics, "vigil_chain_view_full_reads_total", { result: "ok" })).toBe(1);
  });

  it("follows registrations, exits, withdrawals, storage targets and operators by their events, with no full read", async () => {
    const { view, metrics } = startView();
    await view.start();
    const reads = () => metric(metrics, "vigil_chain_view_full_reads_total");
    expect(await reads()).toBe(1);

    await chain.registerDevice(otherNetworkId, deviceId(11));
    await chain.registerDevice(networkId, deviceId(10));
    await expect.poll(() => view.device(networkId, deviceId(10)), soon).toMatchObject({ status: "Active" });
    expect(view.devices(networkId).map((d) => d.deviceId)).toEqual([deviceId(1), deviceId(2), deviceId(10)]);
    expect(view.network(networkId)!.deviceCount).toBe(3);
    // Another network's registration is skipped (and not counted as applied).
    expect(view.device(otherNetworkId, deviceId(11))).toBeUndefined();
    expect(await metric(metrics, "vigil_chain_view_events_total", { event: "DeviceRegistered" })).toBe(1);

    await send(chain.registry, "requestDeviceExit", [deviceId(1)]);
    await expect.poll(() => view.device(networkId, deviceId(1)), soon).toBeUndefined();
    expect(view.devices(networkId).map((d) => d.deviceId)).toEqual([deviceId(2), deviceId(10)]);
    // Unbonding is 0 in the fixture: the exited device's withdrawal is followed too (it stays out).
    await send(chain.registry, "withdrawDeviceStake", [deviceId(1)]);

    const root = `0x${"5a".repeat(32)}` as Hex;
    await chain.setDeviceStorage(networkId, deviceId(10), root, 8, 256);
    await expect
      .poll(() => view.storage(networkId, deviceId(10)), soon)
      .toEqual({ storageRoot: hexToBytes(root), storageChunks: 8, storageChunkBytes: 256 });
    await chain.setDeviceStorage(networkId, deviceId(10), `0x${"00".repeat(32)}`, 0, 0);
    await expect.poll(() => view.storage(networkId, deviceId(10)), soon).toBeUndefined();

    const peer = await newPeer();
    const signer = newSigner();
    await chain.registerOperator(signer, peer);
    await expect.poll(() => view.allowList.has(peer), soon).toBe(true);
    expect(view.signerOf(peer)).toBe(signer);
    expect(view.activeSigners()).toContain(signer);

    await expect.poll(() => view.processedBlock(), soon).toBe(await client.getBlockNumber());
    expect(await reads()).toBe(1);
    for (const event of [
      "DeviceRegistered",
      "DeviceExitRequested",
      "DeviceWithdrawn",
      "DeviceStorageSet",
      "OperatorRegistered",
    ])
      expect(await metric(metrics, "vigil_chain_view_events_total", { event })).toBeGreaterThan(0);
    expect(await metric(metrics, "vigil_chain_view_processed_block")).toBe(Number(view.processedBlock()));
  });

  it("loses no block while getLogs fails: the range is applied once the RPC answers again", async () => {
    const failing = { on: false };
    const flaky = flakyClient(() => failing.on);
    const { view, metrics } = startView({ client: flaky.client });
    await view.start();
    const before = view.processedBlock()!;

    failing.on = true;
    await chain.registerDevice(networkId, deviceId(20));
    const root = `0x${"6b".repeat(32)}` as Hex;
    await chain.setDeviceStorage(networkId, deviceId(20), root, 4, 512);
    await expect
      .poll(() => metric(metrics, "vigil_chain_view_follow_failures_total"), soon)
      .toBeGreaterThan(1);
    expect(view.chainOk()).toBe(false);
    expect(view.device(networkId, deviceId(20))).toBeUndefined();
    expect(view.processedBlock()).toBe(before);
    // The last known state is kept.
    expect(view.device(networkId, deviceId(2))).toBeDefined();

    failing.on = false;
    await expect.poll(() => view.device(networkId, deviceId(20)), soon).toBeDefined();
    await expect.poll(() => view.storage(networkId, deviceId(20))?.storageChunks, soon).toBe(4);
    expect(view.chainOk()).toBe(true);
    expect(await metric(metrics, "vigil_chain_view_full_reads_total")).toBe(1);
    // Every block after the start was asked for, with no gap.
    const served = flaky.ranges.filter((r) => !r.refused);
    let next = before + 1n;
    for (const r of served) {
      expect(r.fromBlock).toBe(next);
      next = r.toBlock + 1n;
    }
    expect(next).toBe(view.processedBlock()! + 1n);
  });

  it("asks for at most maxBlockRange blocks per getLogs and halves the range after a refusal", async () => {
    let refusals = 2;
    const flaky = flakyClient(() => refusals-- > 0);
    // No timer ticks during the test: polls are explicit.
    const { view } = startView({ client: flaky.client, pollIntervalMs: 3_600_000, maxBlockRange: 4 });
    await view.start();
    const before = view.processedBlock()!;
    for (const id of [30, 31, 32]) await chain.registerDevice(networkId, deviceId(id));

    await expect(view.poll()).rejects.toMatchObject({ code: "CHAIN_VIEW_LOGS_FAILED" });
    expect(view.chainOk()).toBe(false);
    await expect(view.poll()).rejects.toMatchObject({ code: "CHAIN_VIEW_LOGS_FAILED" });
    await view.poll();
    expect(view.chainOk()).toBe(true);
    // 3 new blocks: refused whole, refused at 2, then 1 and (doubled back) the last 2.
    expect(flaky.ranges.map((r) => [Number(r.toBlock - r.fromBlock + 1n), r.refused])).toEqual([
      [3, true],
      [2, true],
      [1, false],
      [2, false],
    ]);
    expect(flaky.ranges[0]!.fromBlock).toBe(before + 1n);
    for (const id of [30, 31, 32]) expect(view.device(networkId, deviceId(id))).toBeDefined();
    expect(view.processedBlock()).toBe(await client.getBlockNumber());

    const plain = startView({ pollIntervalMs: 3_600_000, maxBlockRange: 2 });
    await plain.view.start();
    // A fresh view started at the head: nothing to ask.
    await plain.view.poll();
    expect(plain.view.devices(networkId).map((d) => d.deviceId)).toEqual(
      view.devices(networkId).map((d) => d.deviceId),
    );
  });

  it("keeps its state and turns chainOk off while the RPC is down; resync() is a full read", async () => {
    const down = { on: false };
    const flaky = flakyClient(() => false);
    const wrapped = {
      ...flaky.client,
      getBlockNumber: ((args?: object) =>
        down.on
          ? Promise.reject(new Error("connection refused"))
          : client.getBlockNumber(args as { cacheTime?: number })) as PublicClient["getBlockNumber"],
    } as PublicClient;
    const { view, metrics } = startView({ client: wrapped });
    await view.start();
    const devices = view.devices(networkId);
    down.on = true;
    await expect.poll(() => view.chainOk(), soon).toBe(false);
    expect(view.devices(networkId)).toEqual(devices);
    await expect(view.resync()).rejects.toMatchObject({ code: "CHAIN_VIEW_FULL_READ_FAILED" });
    expect(view.devices(networkId)).toEqual(devices);
    down.on = false;
    await expect.poll(() => view.chainOk(), soon).toBe(true);
    await view.resync();
    expect(await metric(metrics, "vigil_chain_view_full_reads_total", { result: "ok" })).toBe(2);
    expect(await metric(metrics, "vigil_chain_view_full_reads_total", { result: "failed" })).toBe(1);
  });

  it("follows a device slash: the stake drops, the registry status decides whether it stays active", async () => {
    // A registry whose settlement is a plain account, so the test can slash (the fixture's is the contract).
    const slasherKey = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
    const wallet = createWalletClient({
      account: owner,
      chain: { ...foundry, id: anvil.chainId },
      transport: http(anvil.rpcUrl),
    });
    const mined = async (hash: Promise<Hex>) =>
      client.waitForTransactionReceipt({ hash: await hash, pollingInterval: 50 });
    const deploy = async (file: string, args: readonly unknown[]) => {
      const { abi, bytecode } = loadArtifact(file);
      return (await mined(wallet.deployContract({ abi, bytecode, args }))).contractAddress!;
    };
    const registry = await deploy("VigilRegistry.sol", [chain.token, owner.address, 0n, parseEther("1")]);
    await mined(
      wallet.writeContract({
        address: registry,
        abi: vigilRegistryAbi,
        functionName: "setSettlement",
        args: [privateKeyToAccount(slasherKey).address],
      }),
    );
    await mined(
      wallet.writeContract({
        address: chain.token,
        abi: vigilTokenAbi,
        functionName: "approve",
        args: [registry, maxUint256],
      }),
    );
    const params = {
      rewardBudgetPerEpoch: 0n,
      stakePerDevice: parseEther("1"),
      epochLength: 30,
      genesisTime: 0n,
      challengePolicyId: 1,
      k: 1,
    };
    const { result: id } = await client.simulateContract({
      account: owner,
      address: registry,
      abi: vigilRegistryAbi,
      functionName: "registerNetwork",
      args: [params],
    });
    await mined(
      wallet.writeContract({
        address: registry,
        abi: vigilRegistryAbi,
        functionName: "registerNetwork",
        args: [params],
      }),
    );
    await mined(
      wallet.writeContract({
        address: registry,
        abi: vigilRegistryAbi,
        functionName: "registerDevice",
        args: [id, deviceId(40), owner.address],
      }),
    );
    // The fixture's settlement contract answers for a network it never settled (beacon, epoch 0).
    const { view, metrics } = startView({
      contracts: { registry, settlement: chain.settlement },
      networks: [id],
    });
    await view.start();
    expect(view.device(id, deviceId(40))).toMatchObject({ stake: parseEther("1"), slashed: 0n });
    // Slashing takes stake but leaves the status: the device stays in the active set, as the registry
    // (and the pinned epoch reads, `readEpochState`) list it, with its new stake.
    await send(registry, "slashDevice", [id, deviceId(40), parseEther("0.25")], slasherKey);
    await expect
      .poll(() => view.device(id, deviceId(40)), soon)
      .toMatchObject({ status: "Active", stake: parseEther("0.75"), slashed: parseEther("0.25") });
    expect(await metric(metrics, "vigil_chain_view_events_total", { event: "DeviceSlashed" })).toBe(1);
    await send(registry, "requestDeviceExit", [deviceId(40)]);
    await expect.poll(() => view.device(id, deviceId(40)), soon).toBeUndefined();
    expect(view.devices(id)).toEqual([]);
    expect(await metric(metrics, "vigil_chain_view_full_reads_total")).toBe(1);
  });
});
