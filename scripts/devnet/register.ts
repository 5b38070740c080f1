import {
  type Account,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  keccak256,
  maxUint256,
  type PublicClient,
  parseEventLogs,
  type Transport,
  type WalletClient,
} from "viem";
import { vigilRegistryAbi, vigilSettlementAbi, vigilTokenAbi } from "../../contracts";

export type DevnetWallet = WalletClient<Transport, Chain, Account>;

export interface SampleNetworkParams {
  rewardBudgetPerEpoch: bigint;
  stakePerDevice: bigint;
  epochLength: number;
  genesisTime: bigint;
  challengePolicyId: number;
  k: number;
  /** Epochs of budget deposited up front. */
  fundedEpochs: number;
}

export interface RegistrationTargets {
  token: Address;
  registry: Address;
  settlement: Address;
}

/**
 * Sends transactions one after the other (each send awaited, so nonces go out in order and a failed
 * send leaves no gap that would stall the rest), then waits for all receipts together.
 */
async function send(client: PublicClient, txs: (() => Promise<Hash>)[]): Promise<void> {
  const hashes: Hash[] = [];
  for (const tx of txs) hashes.push(await tx());
  const receipts = await Promise.all(
    hashes.map((hash) => client.waitForTransactionReceipt({ hash, pollingInterval: 50 })),
  );
  const failed = receipts.find((r) => r.status !== "success");
  if (failed) throw new Error(`transaction ${failed.transactionHash} reverted`);
}

/** Mints reward tokens to the deployer when it holds the token's admin role and too few tokens. */
export async function ensureTokens(
  client: PublicClient,
  wallet: DevnetWallet,
  token: Address,
  needed: bigint,
): Promise<void> {
  const me = wallet.account.address;
  const balance = await client.readContract({
    address: token,
    abi: vigilTokenAbi,
    functionName: "balanceOf",
    args: [me],
  });
  if (balance >= needed) return;
  const minter = await client.readContract({
    address: token,
    abi: vigilTokenAbi,
    functionName: "MINTER_ROLE",
  });
  const canMint = await client.readContract({
    address: token,
    abi: vigilTokenAbi,
    functionName: "hasRole",
    args: [minter, me],
  });
  if (!canMint) {
    await send(client, [
      () =>
        wallet.writeContract({
          address: token,
          abi: vigilTokenAbi,
          functionName: "grantMintAndBurnRoles",
          args: [me],
        }),
    ]);
  }
  await send(client, [
    () =>
      wallet.writeContract({
        address: token,
        abi: vigilTokenAbi,
        functionName: "mint",
        args: [me, needed - balance],
      }),
  ]);
}

/** Registers each oracle operator (signer + libp2p peer id) with the registry's minimum stake. */
export async function registerOperators(
  client: PublicClient,
  wallet: DevnetWallet,
  t: RegistrationTargets,
  operators: readonly { signer: Address; peerIdBytes: Hex }[],
): Promise<void> {
  const stake = await client.readContract({
    address: t.registry,
    abi: vigilRegistryAbi,
    functionName: "minOperatorStake",
  });
  await ensureTokens(client, wallet, t.token, stake * BigInt(operators.length));
  await send(client, [
    () =>
      wallet.writeContract({
        address: t.token,
        abi: vigilTokenAbi,
        functionName: "approve",
        args: [t.registry, maxUint256],
      }),
  ]);
  await send(
    client,
    operators.map(
      (o) => () =>
        wallet.writeContract({
          address: t.registry,
          abi: vigilRegistryAbi,
          functionName: "registerOperator",
          args: [o.signer, o.peerIdBytes, stake],
        }),
    ),
  );
}

/** Registers the sample DePIN network, deposits its budget and returns its id. */
export async function registerSampleNetwork(
  client: PublicClient,
  wallet: DevnetWallet,
  t: RegistrationTargets,
  p: SampleNetworkParams,
): Promise<bigint> {
  const hash = await wallet.writeContract({
    address: t.registry,
    abi: vigilRegistryAbi,
    functionName: "registerNetwork",
    args: [
      {
        rewardBudgetPerEpoch: p.rewardBudgetPerEpoch,
        stakePerDevice: p.stakePerDevice,
        epochLength: p.epochLength,
        genesisTime: p.genesisTime,
        challengePolicyId: p.challengePolicyId,
        k: p.k,
      },
    ],
  });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  const [event] = parseEventLogs({
    abi: vigilRegistryAbi,
    eventName: "NetworkRegistered",
    logs: receipt.logs,
  });
  if (!event) throw new Error("registerNetwork emitted no NetworkRegistered");
  const networkId = event.args.networkId;
  const budget = p.rewardBudgetPerEpoch * BigInt(p.fundedEpochs);
  await ensureTokens(client, wallet, t.token, budget);
  await send(client, [
    () =>
      wallet.writeContract({
        address: t.token,
        abi: vigilTokenAbi,
        functionName: "approve",
        args: [t.settlement, maxUint256],
      }),
  ]);
  await send(client, [
    () =>
      wallet.writeContract({
        address: t.settlement,
        abi: vigilSettlementAbi,
        functionName: "depositBudget",
        args: [networkId, budget],
      }),
  ]);
  return networkId;
}

/** Registers devices for their owners; the deployer pays each device's stake. */
export async function registerDevices(
  client: PublicClient,
  wallet: DevnetWallet,
  t: RegistrationTargets,
  networkId: bigint,
  stakePerDevice: bigint,
  devices: readonly { deviceId: Hex; owner: Address }[],
): Promise<void> {
  await ensureTokens(client, wallet, t.token, stakePerDevice * BigInt(devices.length));
  await send(client, [
    () =>
      wallet.writeContract({
        address: t.token,
        abi: vigilTokenAbi,
        functionName: "approve",
        args: [t.registry, maxUint256],
      }),
  ]);
  // Batches of 50 keep the pending set small for anvil while saving the round trip per device.
  for (let i = 0; i < devices.length; i += 50) {
    await send(
      client,
      devices.slice(i, i + 50).map(
        (d) => () =>
          wallet.writeContract({
            address: t.registry,
            abi: vigilRegistryAbi,
            functionName: "registerDevice",
            args: [networkId, d.deviceId, d.owner],
          }),
      ),
    );
  }
}

/**
 * Sets each device's storage target as the network's owner, playing its storage client: the root of
 * the replica the client placed on the device. One transaction a device, sent in batches like
 * `registerDevices` (about 40 devices: a second or so on anvil).
 */
export async function setStorageTargets(
  client: PublicClient,
  wallet: DevnetWallet,
  t: Pick<RegistrationTargets, "registry">,
  networkId: bigint,
  targets: readonly { deviceId: Hex; root: Hex; chunks: number; chunkBytes: number }[],
): Promise<void> {
  for (let i = 0; i < targets.length; i += 50) {
    await send(
      client,
      targets.slice(i, i + 50).map(
        (d) => () =>
          wallet.writeContract({
            address: t.registry,
            abi: vigilRegistryAbi,
            functionName: "setDeviceStorage",
            args: [networkId, d.deviceId, d.root, d.chunks, d.chunkBytes],
          }),
      ),
    );
  }
}

/** A deterministic owner key per device, so a resumed devnet knows who may claim. */
export function deviceOwnerKey(seed: Hex, index: number): Hex {
  return keccak256(`${seed}${index.toString(16).padStart(8, "0")}`);
}
