import { Command, Option } from "commander";
import { type ChainFlags, openChain, openSigningChain, withChainFlags } from "./chainContext";
import { depositBudget } from "./depositBudget";
import { LifecycleError } from "./errors";
import { type CliIo, guarded, processIo, report } from "./io";
import { networkStatus } from "./networkStatus";
import {
  type GenesisTime,
  parseGenesisTime,
  parseNetworkId,
  parsePositive,
  parseTokenAmount,
  parseUint8,
  parseUint32,
} from "./parsers";
import { getNetworkOrFail, registerNetwork } from "./registerNetwork";
import { formatTokens } from "./tokens";

interface RegisterFlags extends ChainFlags {
  rewardBudget: bigint;
  stakePerDevice: bigint;
  epochLength: number;
  genesisTime: GenesisTime;
  policy: number;
  k: number;
  fundEpochs: number;
}

/** `vigil network register|fund|status`: a DePIN protocol's network on the registry. */
export function networkCommand(io: CliIo = processIo): Command {
  const network = new Command("network").description("register, fund and inspect a DePIN network on chain");

  withChainFlags(
    network
      .command("register")
      .description("register a network owned by the paying account, optionally funding its first epochs")
      .requiredOption(
        "--reward-budget <tokens>",
        "reward tokens paid to the network's devices per epoch",
        parseTokenAmount,
      )
      .requiredOption("--stake-per-device <tokens>", "stake each device locks to register", parseTokenAmount)
      .requiredOption("--epoch-length <seconds>", "seconds per epoch (fixed forever)", parsePositive)
      .addOption(
        new Option(
          "--genesis-time <when>",
          "start of epoch 0: unix seconds, +SECONDS after the latest block, or 0 for the registration block (fixed forever)",
        )
          .argParser(parseGenesisTime)
          .default({ absolute: 0n }, "0"),
      )
      .option("--policy <id>", "challenge policy id (docs/attestation.md)", parseUint32, 0)
      .requiredOption("--k <n>", "oracle nodes observing each device", parseUint8)
      .option("--fund-epochs <n>", "deposit this many epochs of budget right away", parseUint32, 0),
    { signs: true },
  ).action(
    guarded(io, async (flags: RegisterFlags) => {
      if (flags.k === 0) throw new LifecycleError("INVALID_INPUT", "--k must be at least 1");
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      // Genesis relative to the chain's clock: a network whose genesis passes before its nodes run
      // never settles its first epochs on time, so operators usually pick +N seconds ahead.
      const genesisTime =
        "absolute" in flags.genesisTime
          ? flags.genesisTime.absolute
          : (await client.getBlock()).timestamp + flags.genesisTime.afterLatestBlock;
      const networkId = await registerNetwork(client, wallet, deployment.registry, {
        rewardBudgetPerEpoch: flags.rewardBudget,
        stakePerDevice: flags.stakePerDevice,
        epochLength: flags.epochLength,
        genesisTime,
        challengePolicyId: flags.policy,
        k: flags.k,
      });
      const funded = flags.rewardBudget * BigInt(flags.fundEpochs);
      if (funded > 0n) await depositBudget(client, wallet, deployment, networkId, funded);
      const status = await networkStatus(client, deployment, networkId);
      report(io, flags.json ?? false, status, () => [
        `registered network ${networkId} (owner ${status.owner})`,
        `genesis ${new Date(Number(status.genesisTime) * 1000).toISOString()}, epochs of ${status.epochLength} s, k ${status.k}`,
        `deposited ${formatTokens(funded)} (${flags.fundEpochs} epochs of ${formatTokens(flags.rewardBudget)})`,
      ]);
    }),
  );

  withChainFlags(
    network
      .command("fund")
      .description("deposit reward budget into a network (anyone may pay)")
      .requiredOption("--network <id>", "network id", parseNetworkId)
      .option("--epochs <n>", "deposit this many epochs of the network's per-epoch budget", parsePositive)
      .option("--amount <tokens>", "deposit exactly this many tokens", parseTokenAmount),
    { signs: true },
  ).action(
    guarded(io, async (flags: ChainFlags & { network: bigint; epochs?: number; amount?: bigint }) => {
      if ((flags.epochs === undefined) === (flags.amount === undefined))
        throw new LifecycleError("INVALID_INPUT", "pass exactly one of --epochs and --amount");
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      const n = await getNetworkOrFail(client, deployment.registry, flags.network);
      const amount = flags.amount ?? n.rewardBudgetPerEpoch * BigInt(flags.epochs ?? 0);
      if (amount === 0n) throw new LifecycleError("INVALID_INPUT", "nothing to deposit (the amount is 0)");
      await depositBudget(client, wallet, deployment, flags.network, amount);
      const status = await networkStatus(client, deployment, flags.network);
      report(
        io,
        flags.json ?? false,
        { networkId: flags.network, deposited: amount, budgetRemaining: status.budgetRemaining },
        () => [
          `deposited ${formatTokens(amount)} into network ${flags.network}`,
          `budget now ${formatTokens(status.budgetRemaining)} (${status.epochsFunded ?? "∞"} epochs)`,
        ],
      );
    }),
  );

  withChainFlags(
    network
      .command("status")
      .description("a network's owner, parameters, budget, devices and last settled epoch")
      .requiredOption("--network <id>", "network id", parseNetworkId)
      .option("--wait-settled <epoch>", "first wait until this epoch is settled on chain", parseUint32)
      .option("--timeout <seconds>", "give up waiting after this long (exit 1)", parsePositive, 600),
    { signs: false },
  ).action(
    guarded(io, async (flags: ChainFlags & { network: bigint; waitSettled?: number; timeout: number }) => {
      const { client, deployment } = await openChain(flags);
      let s = await networkStatus(client, deployment, flags.network);
      if (flags.waitSettled !== undefined) {
        const want = BigInt(flags.waitSettled);
        const deadline = Date.now() + flags.timeout * 1000;
        while (s.lastSettledEpoch === null || s.lastSettledEpoch < want) {
          if (Date.now() > deadline)
            throw new LifecycleError(
              "TIMEOUT",
              `epoch ${want} of network ${flags.network} not settled after ${flags.timeout} s (last settled: ${s.lastSettledEpoch ?? "none"}, current epoch ${s.currentEpoch ?? "not started"})`,
            );
          await new Promise((r) => setTimeout(r, 2000));
          s = await networkStatus(client, deployment, flags.network);
        }
        if (!flags.json) io.out(`settled epoch ${s.lastSettledEpoch}`);
      }
      report(io, flags.json ?? false, s, () => [
        `network ${s.networkId}`,
        `  owner             ${s.owner}`,
        `  reward budget     ${formatTokens(s.rewardBudgetPerEpoch)} per epoch`,
        `  stake per device  ${formatTokens(s.stakePerDevice)}`,
        `  epochs            ${s.epochLength} s from ${new Date(Number(s.genesisTime) * 1000).toISOString()} (current ${s.currentEpoch ?? "not started"})`,
        `  policy, k         ${s.challengePolicyId}, ${s.k}`,
        `  devices           ${s.deviceCount}`,
        `  budget            ${formatTokens(s.budgetRemaining)} remaining (${s.epochsFunded ?? "∞"} epochs)${s.budgetDeposited === undefined ? "" : `, ${formatTokens(s.budgetDeposited)} deposited`}`,
        `  last settled      ${s.lastSettledEpoch ?? "none yet"}`,
      ]);
    }),
  );

  return network;
}
