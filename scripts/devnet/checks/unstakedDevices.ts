import type { Address, PublicClient } from "viem";
import { readEpochState } from "../../../oracle-node/chain/index";

/**
 * Devices (lower-case ids) with no stake at risk in the epoch `[startTime, endTime)`: slashed to zero
 * before it began, during an earlier epoch or even before genesis while the fleet warmed up. The
 * reward formula gives them weight 0 (docs/interfaces.md); the chain, pinned as the nodes pin it,
 * says which they are.
 */
export async function unstakedDevices(
  client: PublicClient,
  registry: Address,
  networkId: bigint,
  window: { startTime: bigint; endTime: bigint },
): Promise<Set<string>> {
  const state = await readEpochState(client, registry, networkId, window);
  return new Set(state.devices.filter((d) => d.stake === 0n).map((d) => d.deviceId.toLowerCase()));
}
