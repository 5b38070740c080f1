import type { Address, PublicClient } from "viem";
import { ChainError } from "./errors";
import { lastBlockBefore } from "./lastBlockBefore";
import { type DeviceInfo, getNetwork, getNetworkDevices, getOperators, type OperatorInfo } from "./reads";

/** The registry as the result function of one epoch sees it (docs/protocol.md, "Epoch context"). */
export interface EpochChainState {
  /** The last block before the epoch's end: every read below is pinned there. */
  blockNumber: bigint;
  rewardBudgetPerEpoch: bigint;
  k: number;
  /** Operators active at that block. */
  operators: OperatorInfo[];
  /**
   * Devices active at that block. `stake` is the stake at risk in this epoch: what the device held
   * before any slash applied during the epoch (the fraud-slashing workflow slashes mid-epoch), so the
   * epoch's line shows the slash even when it was already taken on chain.
   */
  devices: (DeviceInfo & { slashedInEpoch: bigint })[];
}

/**
 * Reads the state the epoch `[startTime, endTime)` is settled against, pinned to blocks every node
 * finds alike (`lastBlockBefore`), once `endTime` has passed. Reading "the latest" instead lets nodes
 * that refreshed before and after a mid-epoch slash compute different results for the same
 * observations, and then no result gathers 2f + 1 votes.
 */
export async function readEpochState(
  client: PublicClient,
  registry: Address,
  networkId: bigint,
  window: { startTime: bigint; endTime: bigint },
): Promise<EpochChainState> {
  const startBlock = await lastBlockBefore(client, window.startTime);
  // The end lies after the start: its search starts where the first one ended.
  const endBlock = await lastBlockBefore(client, window.endTime, startBlock ?? 0n);
  if (endBlock === null)
    throw new ChainError("CHAIN_NO_BLOCK", `no block before the end of the epoch (${window.endTime})`, {
      networkId,
      endTime: window.endTime,
    });
  // Before the registry was deployed nothing was registered, so nothing was slashed either.
  const readStart =
    startBlock !== null &&
    (await client.getCode({ address: registry, blockNumber: startBlock })) !== undefined;
  const at = { blockNumber: endBlock };
  const [network, operators, devices, before] = await Promise.all([
    getNetwork(client, registry, networkId, at),
    getOperators(client, registry, at),
    getNetworkDevices(client, registry, networkId, at),
    // Devices registered after the start block are absent there: nothing of theirs was slashed before.
    readStart
      ? getNetworkDevices(client, registry, networkId, { blockNumber: startBlock })
      : Promise.resolve([]),
  ]);
  const slashedBefore = new Map(before.map((d) => [d.deviceId.toLowerCase(), d.slashed]));
  return {
    blockNumber: endBlock,
    rewardBudgetPerEpoch: network.rewardBudgetPerEpoch,
    k: network.k,
    operators: operators.filter((o) => o.status === "Active"),
    devices: devices
      .filter((d) => d.status === "Active")
      .map((d) => {
        const slashedInEpoch = d.slashed - (slashedBefore.get(d.deviceId.toLowerCase()) ?? 0n);
        return { ...d, stake: d.stake + slashedInEpoch, slashedInEpoch };
      }),
  };
}
