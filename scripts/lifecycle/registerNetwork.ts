import { type Address, type PublicClient, parseEventLogs } from "viem";
import { vigilRegistryAbi } from "../../contracts/index";
import type { LifecycleWallet } from "./chainContext";
import { LifecycleError } from "./errors";
import { simulateAndSend } from "./send";

/** IVigilRegistry.NetworkParams. */
export interface NetworkParams {
  rewardBudgetPerEpoch: bigint;
  stakePerDevice: bigint;
  /** Seconds per epoch. */
  epochLength: number;
  /** Start of epoch 0 (unix seconds); 0 means the registration block's time. */
  genesisTime: bigint;
  challengePolicyId: number;
  k: number;
}

/** Registers a network owned by the wallet's account; returns its id (from `NetworkRegistered`). */
export async function registerNetwork(
  client: PublicClient,
  wallet: LifecycleWallet,
  registry: Address,
  params: NetworkParams,
): Promise<bigint> {
  const receipt = await simulateAndSend(client, wallet, {
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "registerNetwork",
    args: [params],
  });
  const [event] = parseEventLogs({
    abi: vigilRegistryAbi,
    eventName: "NetworkRegistered",
    logs: receipt.logs,
  });
  if (!event) throw new LifecycleError("TX_FAILED", "registerNetwork emitted no NetworkRegistered");
  return event.args.networkId;
}

/** The network, or UNKNOWN_NETWORK naming the ids that exist. */
export async function getNetworkOrFail(client: PublicClient, registry: Address, networkId: bigint) {
  const count = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "networkCount",
  });
  if (networkId < 1n || networkId > count)
    throw new LifecycleError(
      "UNKNOWN_NETWORK",
      `unknown network ${networkId}: ${count === 0n ? "this registry has no networks" : `this registry has networks 1..${count}`}`,
      { networkId, count },
    );
  return client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getNetwork",
    args: [networkId],
  });
}
