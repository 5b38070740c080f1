import type { Address, PublicClient } from "viem";
import { vigilRegistryAbi } from "../../../contracts";

/** The network's reward budget per epoch, as the registry holds it (`epochParams`). */
export async function readEpochBudget(
  client: PublicClient,
  registry: Address,
  networkId: bigint,
): Promise<bigint> {
  const [, , , budget] = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "epochParams",
    args: [networkId],
  });
  return budget;
}
