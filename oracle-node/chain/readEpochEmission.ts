import type { Address, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../contracts/index";

/**
 * The epoch's emission, the result function's budget (docs/interfaces.md, "Reward formula"):
 * `VigilSettlement.epochEmission(networkId, epoch)` at `blockNumber`, the block `readEpochState`
 * pinned its registry reads to. A network owner changing the halving schedule at an epoch's end
 * would otherwise give nodes that read on either side of the change two budgets, two results and
 * no quorum. A failed read throws: there is no default budget to settle with.
 */
export async function readEpochEmission(
  client: PublicClient,
  settlement: Address,
  networkId: bigint,
  epoch: bigint,
  blockNumber: bigint,
): Promise<bigint> {
  return client.readContract({
    address: settlement,
    abi: vigilSettlementAbi,
    functionName: "epochEmission",
    args: [networkId, epoch],
    blockNumber,
  });
}
