import type { Address, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../contracts/index";
import { getNetworkOrFail } from "./registerNetwork";

export interface NetworkStatus {
  networkId: bigint;
  owner: Address;
  rewardBudgetPerEpoch: bigint;
  stakePerDevice: bigint;
  epochLength: number;
  genesisTime: bigint;
  challengePolicyId: number;
  k: number;
  /** Devices ever registered. */
  deviceCount: number;
  /** Unspent budget (`budgetOf`). */
  budgetRemaining: bigint;
  /** Sum of `BudgetDeposited` since the deployment block; undefined when the deployment names no block. */
  budgetDeposited?: bigint;
  /** Epochs the remaining budget pays at the full per-epoch budget. */
  epochsFunded: bigint | null;
  /** Last settled epoch, null before the first. */
  lastSettledEpoch: bigint | null;
  /** The epoch running now by chain time (null before genesis). */
  currentEpoch: bigint | null;
}

export async function networkStatus(
  client: PublicClient,
  t: { registry: Address; settlement: Address; deployBlock?: number },
  networkId: bigint,
): Promise<NetworkStatus> {
  const n = await getNetworkOrFail(client, t.registry, networkId);
  const [budgetRemaining, nextEpoch, block] = await Promise.all([
    client.readContract({
      address: t.settlement,
      abi: vigilSettlementAbi,
      functionName: "budgetOf",
      args: [networkId],
    }),
    client.readContract({
      address: t.settlement,
      abi: vigilSettlementAbi,
      functionName: "nextEpoch",
      args: [networkId],
    }),
    client.getBlock(),
  ]);
  let budgetDeposited: bigint | undefined;
  if (t.deployBlock !== undefined) {
    const deposits = await client.getContractEvents({
      address: t.settlement,
      abi: vigilSettlementAbi,
      eventName: "BudgetDeposited",
      args: { networkId },
      fromBlock: BigInt(t.deployBlock),
      toBlock: block.number,
    });
    budgetDeposited = deposits.reduce((sum, e) => sum + (e.args.amount ?? 0n), 0n);
  }
  const elapsed = block.timestamp - n.genesisTime;
  return {
    networkId,
    owner: n.owner,
    rewardBudgetPerEpoch: n.rewardBudgetPerEpoch,
    stakePerDevice: n.stakePerDevice,
    epochLength: n.epochLength,
    genesisTime: n.genesisTime,
    challengePolicyId: n.challengePolicyId,
    k: n.k,
    deviceCount: n.deviceCount,
    budgetRemaining,
    budgetDeposited,
    epochsFunded: n.rewardBudgetPerEpoch === 0n ? null : budgetRemaining / n.rewardBudgetPerEpoch,
    lastSettledEpoch: nextEpoch === 0n ? null : nextEpoch - 1n,
    currentEpoch: elapsed < 0n ? null : elapsed / BigInt(n.epochLength),
  };
}
