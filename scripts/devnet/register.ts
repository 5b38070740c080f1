import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  keccak256,
  maxUint256,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { vigilRegistryAbi, vigilSettlementAbi, vigilTokenAbi } from "../../contracts";
import { depositBudget } from "../lifecycle/depositBudget";
import { registerNetwork } from "../lifecycle/registerNetwork";
import { sendAll as send, simulateAndSend } from "../lifecycle/send";

// Registration primitives (send, registerNetwork, depositBudget) live in scripts/lifecycle/, shared
// with the `vigil network|operator|device` commands; this file keeps the devnet's batches and minting.
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
  /** Deposited on top of each funded epoch's emission: the verification fee the network pays. */
  feeReservePerEpoch?: bigint;
  /** The settlement's emission schedule: the budget per epoch halves every this many epochs (0: flat). */
  emissionHalvingEpochs?: number;
  /** The network's uptime SLA (`VigilSettlement.setUptimeSla`); none when absent. */
  uptimeSla?: {
    windowEpochs: number;
    bonusThresholdBps: number;
    bonusBps: number;
    penaltyThresholdBps: number;
    penaltyBps: number;
  };
}

export interface RegistrationTargets {
  token: Address;
  registry: Address;
  settlement: Address;
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
  const networkId = await registerNetwork(client, wallet, t.registry, {
    rewardBudgetPerEpoch: p.rewardBudgetPerEpoch,
    stakePerDevice: p.stakePerDevice,
    epochLength: p.epochLength,
    genesisTime: p.genesisTime,
    challengePolicyId: p.challengePolicyId,
    k: p.k,
  });
  if (p.emissionHalvingEpochs)
    await simulateAndSend(client, wallet, {
      address: t.settlement,
      abi: vigilSettlementAbi,
      functionName: "setEmissionHalving",
      args: [networkId, p.emissionHalvingEpochs],
    });
  if (p.uptimeSla)
    await simulateAndSend(client, wallet, {
      address: t.settlement,
      abi: vigilSettlementAbi,
      functionName: "setUptimeSla",
      args: [networkId, p.uptimeSla],
    });
  const budget = (p.rewardBudgetPerEpoch + (p.feeReservePerEpoch ?? 0n)) * BigInt(p.fundedEpochs);
  await ensureTokens(client, wallet, t.token, budget);
  if (budget > 0n) await depositBudget(client, wallet, t, networkId, budget);
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
