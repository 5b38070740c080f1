import { Command, InvalidArgumentError } from "commander";
import { type Address, type Hex, isHex, type PublicClient } from "viem";
import { vigilRegistryAbi } from "../../contracts/index";
import { type ChainFlags, openChain, openSigningChain, withChainFlags } from "./chainContext";
import { LifecycleError } from "./errors";
import { type CliIo, guarded, processIo, report } from "./io";
import { simulateAndSend } from "./send";
import { formatTokens } from "./tokens";

const STATUS = ["none", "active", "exiting", "exited"] as const;

/** A device id: the raw 32-byte Ed25519 public key, 0x-hex (what `vigil device init` prints). */
export function parseDeviceId(value: string): Hex {
  if (!isHex(value) || value.length !== 66)
    throw new InvalidArgumentError(`expected a 0x-prefixed 32-byte device id, got "${value}"`);
  return value.toLowerCase() as Hex;
}

async function getDeviceOrFail(client: PublicClient, registry: Address, deviceId: Hex) {
  const device = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getDevice",
    args: [deviceId],
  });
  if (device.status === 0)
    throw new LifecycleError("INVALID_INPUT", `device ${deviceId} is not registered`, { deviceId });
  return device;
}

const when = (unixSeconds: bigint) => new Date(Number(unixSeconds) * 1000).toISOString();

/**
 * `vigil device exit|withdraw|status`: a registered device's stake. Exit starts the registry's
 * unbonding (owner only; the stake stays slashable until it ends), withdraw sends what is left to the
 * owner after it. The contract checks the caller; these commands only simulate first, so a refused
 * call costs nothing, and say why.
 */
export function deviceLifecycleCommands(io: CliIo = processIo): Command[] {
  const deviceFlag = (c: Command) =>
    c.requiredOption(
      "--device <id>",
      "the device id (0x, 32 bytes: `vigil device init` prints it)",
      parseDeviceId,
    );

  const exit = withChainFlags(
    deviceFlag(new Command("exit").description("start a device's unbonding (its owner only)")),
    { signs: true },
  ).action(
    guarded(io, async (flags: ChainFlags & { device: Hex }) => {
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      await getDeviceOrFail(client, deployment.registry, flags.device);
      await simulateAndSend(client, wallet, {
        address: deployment.registry,
        abi: vigilRegistryAbi,
        functionName: "requestDeviceExit",
        args: [flags.device],
      });
      const after = await getDeviceOrFail(client, deployment.registry, flags.device);
      report(
        io,
        flags.json ?? false,
        { deviceId: flags.device, exitAvailableAt: after.exitAvailableAt },
        () => [
          `device ${flags.device} is exiting: withdraw after ${when(after.exitAvailableAt)} (vigil device withdraw)`,
        ],
      );
    }),
  );

  const withdraw = withChainFlags(
    deviceFlag(new Command("withdraw").description("send an unbonded device's stake to its owner")),
    { signs: true },
  ).action(
    guarded(io, async (flags: ChainFlags & { device: Hex }) => {
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      const before = await getDeviceOrFail(client, deployment.registry, flags.device);
      await simulateAndSend(client, wallet, {
        address: deployment.registry,
        abi: vigilRegistryAbi,
        functionName: "withdrawDeviceStake",
        args: [flags.device],
      });
      report(io, flags.json ?? false, { deviceId: flags.device, withdrawn: before.stake }, () => [
        `withdrew ${formatTokens(before.stake)} of device ${flags.device}'s stake to ${before.owner}`,
      ]);
    }),
  );

  const status = withChainFlags(
    deviceFlag(new Command("status").description("a device's network, owner, status and stake on chain")),
    { signs: false },
  ).action(
    guarded(io, async (flags: ChainFlags & { device: Hex }) => {
      const { client, deployment } = await openChain(flags);
      const d = await getDeviceOrFail(client, deployment.registry, flags.device);
      const s = {
        deviceId: flags.device,
        networkId: d.networkId,
        owner: d.owner,
        status: STATUS[d.status] ?? String(d.status),
        stake: d.stake,
        slashed: d.slashed,
        registeredAt: d.registeredAt,
        exitAvailableAt: d.exitAvailableAt,
      };
      report(io, flags.json ?? false, s, () => [
        `device ${s.deviceId}: ${s.status}${d.status === 2 ? ` (withdraw after ${when(d.exitAvailableAt)})` : ""}`,
        `  network   ${s.networkId}`,
        `  owner     ${s.owner}`,
        `  stake     ${formatTokens(s.stake)} (slashed ${formatTokens(s.slashed)})`,
        `  since     ${when(s.registeredAt)}`,
      ]);
    }),
  );

  return [exit, withdraw, status];
}
