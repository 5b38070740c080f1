import { type Address, encodeAbiParameters, type Hex, keccak256, type PublicClient } from "viem";
import { vigilSettlementAbi } from "../../contracts/index";
import { lastBlockBefore } from "./lastBlockBefore";

/** `beacon(0)` of a network (docs/interfaces.md): what the settlement contract holds before any settlement. */
export function genesisBeacon(networkId: bigint): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "string" }, { type: "uint64" }], ["vigil.beacon", networkId]),
  );
}

/**
 * The beacon an epoch's assignment uses: the settlement contract's `beacon(networkId)` at the last
 * block before the epoch's start. Every node that asks once the start has passed gets the same one,
 * even when a settlement (which moves the beacon) lands right at the boundary; "the beacon this node
 * saw when the epoch began" differed between nodes then, and so did their assignments and results.
 * Before the contract existed nothing was settled, so the genesis beacon applies.
 */
export async function readEpochBeacon(
  client: PublicClient,
  settlement: Address,
  networkId: bigint,
  startTime: bigint,
): Promise<{ beacon: Hex; blockNumber: bigint | null }> {
  const blockNumber = await lastBlockBefore(client, startTime);
  if (blockNumber === null || (await client.getCode({ address: settlement, blockNumber })) === undefined)
    return { beacon: genesisBeacon(networkId), blockNumber };
  const beacon = await client.readContract({
    address: settlement,
    abi: vigilSettlementAbi,
    functionName: "beacon",
    args: [networkId],
    blockNumber,
  });
  return { beacon, blockNumber };
}
