import type { Address, PublicClient } from "viem";
import {
  readEpochEmission,
  readEpochState,
  readUptimeWindow,
  type UptimeWindow,
} from "../../../oracle-node/chain/index";

export interface EpochRewardInputs {
  /** The epoch's emission (`epochEmission`), the budget the formula splits. */
  budget: bigint;
  /**
   * Devices (lower-case ids) with no stake at risk in the epoch: slashed to zero before it began,
   * during an earlier epoch or even before genesis while the fleet warmed up. The reward formula
   * counts them neither eligible nor qualified (docs/interfaces.md).
   */
  unstaked: Set<string>;
  /** The uptime SLA and the settled epochs of its window, pinned as the nodes pin them; null: none. */
  uptime: UptimeWindow | null;
}

/**
 * What the reward formula of epoch `epoch` (`[startTime, endTime)`) takes from the chain, pinned as
 * the nodes pin it (the last block before the epoch's end): never from the result under test, so a
 * result that paid nobody cannot pass by making the expected budget 0 too.
 */
export async function epochRewardInputs(
  client: PublicClient,
  contracts: { registry: Address; settlement: Address },
  networkId: bigint,
  epoch: bigint,
  window: { startTime: bigint; endTime: bigint },
): Promise<EpochRewardInputs> {
  const state = await readEpochState(client, contracts.registry, networkId, window);
  const budget = await readEpochEmission(client, contracts.settlement, networkId, epoch, state.blockNumber);
  const uptime = await readUptimeWindow(client, contracts.settlement, networkId, epoch, state.blockNumber);
  return {
    budget,
    uptime,
    unstaked: new Set(state.devices.filter((d) => d.stake === 0n).map((d) => d.deviceId.toLowerCase())),
  };
}
