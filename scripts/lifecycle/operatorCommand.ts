import { Command } from "commander";
import { type Address, formatEther, type Hex } from "viem";
import { type ChainFlags, openChain, openSigningChain, withChainFlags } from "./chainContext";
import { LifecycleError } from "./errors";
import { type CliIo, guarded, processIo, report } from "./io";
import { readNodeIdentity } from "./nodeIdentity";
import { DEFAULT_LOOKBACK_BLOCKS, operatorStatus } from "./operatorStatus";
import { parseAddress, parsePeerId, parseTokenAmount, parseUint64 } from "./parsers";
import {
  addOperatorStake,
  registerOperator,
  requestOperatorExit,
  withdrawOperatorEarnings,
  withdrawOperatorStake,
} from "./registerOperator";
import { formatTokens } from "./tokens";

const when = (unix: bigint) => new Date(Number(unix) * 1000).toISOString();

/** `vigil operator register|stake|exit|withdraw|withdraw-earnings|status`: an oracle operator on the registry. */
export function operatorCommand(io: CliIo = processIo): Command {
  const operator = new Command("operator").description(
    "register, stake, exit and inspect an oracle operator",
  );
  const signerFlag = (c: Command) =>
    c.requiredOption("--signer <address>", "the node's Ethereum signer", parseAddress);

  withChainFlags(
    operator
      .command("register")
      .description("register a node's signer and peer id, staking from the paying account (its owner)")
      .option("--signer <address>", "the node's Ethereum signer (printed by `vigil node init`)", parseAddress)
      .option("--peer-id <id>", "the node's libp2p peer id, 12D3KooW… (printed by `vigil node init`)")
      .option(
        "--node-config <file>",
        "read signer and peer id from this node.toml's data dir instead (plain or encrypted keys)",
      )
      .option("--stake <tokens>", "stake to lock (default: the registry's minimum)", parseTokenAmount),
    { signs: true },
  ).action(
    guarded(
      io,
      async (
        flags: ChainFlags & { signer?: Address; peerId?: string; nodeConfig?: string; stake?: bigint },
      ) => {
        let { signer, peerId } = flags;
        if (flags.nodeConfig) {
          if (signer || peerId)
            throw new LifecycleError("INVALID_INPUT", "pass either --node-config or --signer and --peer-id");
          ({ signer, peerId } = readNodeIdentity(flags.nodeConfig));
        }
        if (!signer || !peerId)
          throw new LifecycleError("INVALID_INPUT", "pass --signer and --peer-id (or --node-config)");
        let peerIdBytes: Hex;
        try {
          peerIdBytes = parsePeerId(peerId);
        } catch (cause) {
          throw new LifecycleError("INVALID_INPUT", `--peer-id: ${(cause as Error).message}`, {}, { cause });
        }
        const { client, wallet, deployment } = await openSigningChain(flags, io);
        const stake = await registerOperator(client, wallet, deployment, {
          signer,
          peerIdBytes,
          stake: flags.stake,
        });
        report(io, flags.json ?? false, { signer, peerId, owner: wallet.account.address, stake }, () => [
          `registered operator ${signer} (peer ${peerId}), owner ${wallet.account.address}, stake ${formatTokens(stake)}`,
        ]);
      },
    ),
  );

  withChainFlags(
    signerFlag(
      operator.command("stake").description("add stake to an active operator (anyone may pay)"),
    ).requiredOption("--amount <tokens>", "tokens to add", parseTokenAmount),
    { signs: true },
  ).action(
    guarded(io, async (flags: ChainFlags & { signer: Address; amount: bigint }) => {
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      await addOperatorStake(client, wallet, deployment, flags.signer, flags.amount);
      const s = await operatorStatus(client, deployment, flags.signer, 0n);
      report(io, flags.json ?? false, { signer: flags.signer, added: flags.amount, stake: s.stake }, () => [
        `added ${formatTokens(flags.amount)} to ${flags.signer}: stake now ${formatTokens(s.stake)}`,
      ]);
    }),
  );

  withChainFlags(
    signerFlag(
      operator
        .command("exit")
        .description("start unbonding (owner only); the stake stays slashable until then"),
    ),
    { signs: true },
  ).action(
    guarded(io, async (flags: ChainFlags & { signer: Address }) => {
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      const at = await requestOperatorExit(client, wallet, deployment.registry, flags.signer);
      report(io, flags.json ?? false, { signer: flags.signer, exitAvailableAt: at }, () => [
        `operator ${flags.signer} is exiting: withdraw after ${when(at)} (vigil operator withdraw)`,
      ]);
    }),
  );

  withChainFlags(
    signerFlag(operator.command("withdraw").description("send an unbonded operator's stake to its owner")),
    { signs: true },
  ).action(
    guarded(io, async (flags: ChainFlags & { signer: Address }) => {
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      const amount = await withdrawOperatorStake(client, wallet, deployment.registry, flags.signer);
      report(io, flags.json ?? false, { signer: flags.signer, withdrawn: amount }, () => [
        `withdrew ${formatTokens(amount)} of ${flags.signer}'s stake to its owner`,
      ]);
    }),
  );

  withChainFlags(
    operator
      .command("withdraw-earnings")
      .description("send the paying account's fee earnings (it must be the node's signer) to an address")
      .requiredOption("--to <address>", "who receives the earnings", parseAddress),
    { signs: true },
  ).action(
    guarded(io, async (flags: ChainFlags & { to: Address }) => {
      const { client, wallet, deployment } = await openSigningChain(flags, io);
      const amount = await withdrawOperatorEarnings(client, wallet, deployment.settlement, flags.to);
      report(
        io,
        flags.json ?? false,
        { signer: wallet.account.address, to: flags.to, withdrawn: amount },
        () => [`withdrew ${formatTokens(amount)} of ${wallet.account.address}'s fee earnings to ${flags.to}`],
      );
    }),
  );

  withChainFlags(
    signerFlag(
      operator
        .command("status")
        .description("stake, status, slashes, earnings and gas spent by a node's signer"),
    ).option(
      "--blocks <n>",
      `blocks to look back for slashes, earnings and gas (default ${DEFAULT_LOOKBACK_BLOCKS}, never before the deployment block)`,
      parseUint64,
    ),
    { signs: false },
  ).action(
    guarded(io, async (flags: ChainFlags & { signer: Address; blocks?: bigint }) => {
      const { client, deployment } = await openChain(flags);
      const s = await operatorStatus(client, deployment, flags.signer, flags.blocks);
      report(io, flags.json ?? false, s, () => [
        `operator ${s.signer}: ${s.status}${s.status === "exiting" ? `, withdrawable after ${when(s.exitAvailableAt)}` : ""}`,
        `  owner           ${s.owner}`,
        `  peer id         ${s.peerId || "-"}`,
        `  stake           ${formatTokens(s.stake)} (slashed so far ${formatTokens(s.slashed)})`,
        `  signer balance  ${formatEther(s.signerBalance)} ETH`,
        `  blocks ${s.fromBlock}..${s.toBlock}:`,
        `    slashes         ${s.slashes.length === 0 ? "none" : s.slashes.map((x) => `network ${x.networkId} epoch ${x.epoch}: ${formatTokens(x.amount)}`).join("; ")}`,
        `    reporter share  ${formatTokens(s.reporterRewards)} (of equivocation slashes it reported)`,
        `  fee earnings    ${formatTokens(s.feeEarnings)} not yet withdrawn (vigil operator withdraw-earnings, sent by the signer)`,
        `    reports sent    ${s.reportsSent}, gas spent ${formatEther(s.gasSpentWei)} ETH`,
      ]);
    }),
  );

  return operator;
}
