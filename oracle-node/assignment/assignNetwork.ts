import type { Address, Hex } from "viem";
import { createAssigner } from "./assignDevice";

export interface AssignNetworkParameters {
  beacon: Hex;
  deviceIds: readonly Hex[];
  nodes: readonly Address[];
  k: number;
}

/** Assignment of every device of a network: device id → its `k` nodes (best first). */
export function assignNetwork(parameters: AssignNetworkParameters): Map<Hex, Address[]> {
  const assign = createAssigner(parameters);
  return new Map(parameters.deviceIds.map((deviceId) => [deviceId, assign(deviceId)]));
}

/** The devices one node must watch in an epoch. */
export function devicesForNode(parameters: AssignNetworkParameters & { node: Address }): Hex[] {
  const assign = createAssigner(parameters);
  const me = parameters.node.toLowerCase();
  return parameters.deviceIds.filter((deviceId) => assign(deviceId).some((a) => a.toLowerCase() === me));
}
