import type { Address, Hex, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../contracts/index";

export interface SettledEpoch {
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
  blockNumber: bigint;
}

/** Calls `onSettled` for every `EpochSettled` log of the settlement contract; returns the unwatch function. */
export function watchSettlements(
  client: PublicClient,
  settlement: Address,
  onSettled: (event: SettledEpoch) => void,
  onError: (error: Error) => void,
): () => void {
  return client.watchContractEvent({
    address: settlement,
    abi: vigilSettlementAbi,
    eventName: "EpochSettled",
    onLogs: (logs) => {
      for (const log of logs) {
        const { networkId, epoch, resultRoot } = log.args;
        if (networkId === undefined || epoch === undefined || resultRoot === undefined) continue;
        onSettled({ networkId, epoch, resultRoot, blockNumber: log.blockNumber ?? 0n });
      }
    },
    onError,
  });
}
