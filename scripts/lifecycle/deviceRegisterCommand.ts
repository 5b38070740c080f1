import { Command } from "commander";
import type { Address } from "viem";
import { type ChainFlags, openSigningChain, withChainFlags } from "./chainContext";
import { readRegistrationInput, verifyDeviceRegistration } from "./deviceRegistration";
import { type CliIo, guarded, processIo, report } from "./io";
import { parseAddress, parseNetworkId } from "./parsers";
import { registerDevice } from "./registerDevice";
import { formatTokens } from "./tokens";

/** `vigil device register`: puts a device on chain from its own signed registration. */
export function deviceRegisterCommand(io: CliIo = processIo): Command {
  return withChainFlags(
    new Command("register")
      .description(
        "register a device on chain from its signed registration (`vigil device registration`), paying its stake",
      )
      .requiredOption("--network <id>", "network id", parseNetworkId)
      .requiredOption(
        "--registration <file|json>",
        "the device's signed registration: a file, or the JSON itself",
      )
      .option(
        "--owner <address>",
        "the owner the device must name (default: the paying account)",
        parseAddress,
      ),
    { signs: true },
  ).action(
    guarded(io, async (flags: ChainFlags & { network: bigint; registration: string; owner?: Address }) => {
      const input = readRegistrationInput(flags.registration);
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      const owner = flags.owner ?? wallet.account.address;
      // Verified before any read or payment: nothing is approved or staked for a device whose own key
      // did not name this owner and network (see verifyDeviceRegistration for the threat).
      const device = verifyDeviceRegistration(input, { networkId: flags.network, owner });
      const stake = await registerDevice(client, wallet, deployment, flags.network, device);
      report(io, flags.json ?? false, { networkId: flags.network, ...device, stake }, () => [
        `registered device ${device.deviceId} in network ${flags.network} for ${device.owner}, stake ${formatTokens(stake)}`,
      ]);
    }),
  );
}
