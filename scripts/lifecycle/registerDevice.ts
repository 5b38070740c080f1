import type { Address, Hex, PublicClient } from "viem";
import { vigilRegistryAbi } from "../../contracts/index";
import type { LifecycleWallet } from "./chainContext";
import { LifecycleError } from "./errors";
import { getNetworkOrFail } from "./registerNetwork";
import { simulateAndSend } from "./send";
import { payAndCall } from "./tokens";

/**
 * Registers a device key in a network for `owner`, the wallet's account paying the network's
 * `stakePerDevice`. Call it only with a verified registration (deviceRegistration.ts). Returns the
 * stake paid.
 */
export async function registerDevice(
  client: PublicClient,
  wallet: LifecycleWallet,
  t: { token: Address; registry: Address },
  networkId: bigint,
  device: { deviceId: Hex; owner: Address },
): Promise<bigint> {
  const [network, existing] = await Promise.all([
    getNetworkOrFail(client, t.registry, networkId),
    client.readContract({
      address: t.registry,
      abi: vigilRegistryAbi,
      functionName: "getDevice",
      args: [device.deviceId],
    }),
  ]);
  if (existing.status !== 0)
    throw new LifecycleError(
      "INVALID_INPUT",
      `device ${device.deviceId} is already registered (network ${existing.networkId}, owner ${existing.owner}); a key registers once, ever`,
      { deviceId: device.deviceId },
    );
  await payAndCall(client, wallet, t.token, t.registry, network.stakePerDevice, () =>
    simulateAndSend(client, wallet, {
      address: t.registry,
      abi: vigilRegistryAbi,
      functionName: "registerDevice",
      args: [networkId, device.deviceId, device.owner],
    }),
  );
  return network.stakePerDevice;
}
