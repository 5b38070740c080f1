import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { type Address, formatUnits, getAddress, type Hex, isAddress, isHex, parseUnits } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { tokenAbi } from "./abi.js";
import { getTransferStatus, type TransferStatus, waitForDelivery } from "./client/getTransferStatus.js";
import { sendTransfer } from "./client/sendTransfer.js";
import type { ChainClients } from "./deploy.js";
import { BridgeError } from "./errors.js";
import { chainClients, laneChain } from "./lane/clients.js";
import { type LaneConfig, laneEnds, readLaneConfig } from "./lane/laneConfig.js";
import { startLocalLane } from "./lane/startLocalLane.js";
import { startRelayer } from "./relayer/startRelayer.js";
import { runBridgeAction as run } from "./runBridgeAction.js";
import { setupCommand } from "./setup/setupCommand.js";

export interface BridgeCommandOptions {
  /** Where lines go (stdout by default); tests capture them. */
  print?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_LANE_FILE = ".vigil/bridge-lane.json";

/**
 * `vigil bridge ...`: send the reward token to the other chain, follow a transfer, run the local lane
 * and its relayer. The lane file (written by `vigil bridge lane`, or the devnet) names the chains.
 */
export function bridgeCommand(options: BridgeCommandOptions = {}): Command {
  const print = options.print ?? ((line: string) => console.log(line));
  const env = options.env ?? process.env;
  const laneFile = (opts: { lane?: string }) => opts.lane ?? env.VIGIL_BRIDGE_LANE ?? DEFAULT_LANE_FILE;

  const bridge = new Command("bridge").description("move the reward token between chains over CCIP");

  bridge
    .command("send")
    .description("send reward tokens to an address on the other chain and follow them until delivery")
    .requiredOption("--from <chain>", "source chain (name or CCIP chain selector)")
    .requiredOption("--to <chain>", "destination chain")
    .requiredOption("--amount <n>", "amount in VGL, e.g. 12.5", parseAmount)
    .requiredOption("--to-address <addr>", "receiver on the destination chain", parseAddress)
    .option("--lane <file>", `lane config (default $VIGIL_BRIDGE_LANE or ${DEFAULT_LANE_FILE})`)
    .option("--no-wait", "return once sent, without waiting for delivery")
    .option("--timeout <ms>", "give up waiting after this long", parseInteger, 120_000)
    .action(
      run(
        async (opts: {
          from: string;
          to: string;
          amount: bigint;
          toAddress: Address;
          lane?: string;
          wait: boolean;
          timeout: number;
        }) => {
          const lane = readLaneConfig(laneFile(opts));
          const { chain: from } = laneEnds(lane, opts.from);
          const { chain: to } = laneEnds(lane, opts.to);
          if (from.name === to.name)
            throw new BridgeError("INVALID_INPUT", "--from and --to are the same chain");
          const account = privateKeyToAccount(privateKey(env));
          const clients = laneClients(lane, account);
          const fromClients = clients[lane.chains.indexOf(from)] as ChainClients;
          const sent = await sendTransfer({
            from,
            to,
            clients: fromClients,
            amount: opts.amount,
            toAddress: opts.toAddress,
          });
          print(`sent ${formatUnits(opts.amount, 18)} VGL ${from.name} -> ${to.name} to ${opts.toAddress}`);
          print(`message id ${sent.messageId} (sequence ${sent.sequenceNumber}, tx ${sent.txHash})`);
          if (!opts.wait) return;
          await follow(lane, clients, sent.messageId, opts.timeout, print);
        },
      ),
    );

  bridge
    .command("status")
    .description("show where a transfer is, following it until delivery")
    .argument("<id>", "CCIP message id", parseMessageId)
    .option("--lane <file>", `lane config (default $VIGIL_BRIDGE_LANE or ${DEFAULT_LANE_FILE})`)
    .option("--once", "print the current state and return")
    .option("--timeout <ms>", "give up waiting after this long", parseInteger, 120_000)
    .action(
      run(async (id: Hex, opts: { lane?: string; once?: boolean; timeout: number }) => {
        const lane = readLaneConfig(laneFile(opts));
        // Reads only: any key will do.
        const clients = laneClients(lane, privateKeyToAccount(`0x${"11".repeat(32)}`));
        if (opts.once) {
          print(describe(await getTransferStatus(lane, clients, id)));
          return;
        }
        await follow(lane, clients, id, opts.timeout, print);
      }),
    );

  bridge
    .command("relay")
    .description("carry messages across the local lane until interrupted")
    .option("--lane <file>", `lane config (default $VIGIL_BRIDGE_LANE or ${DEFAULT_LANE_FILE})`)
    .option("--db <file>", "SQLite file for the relayer's progress", ".vigil/bridge-relayer.db")
    .action(
      run(async (opts: { lane?: string; db: string }) => {
        const lane = readLaneConfig(laneFile(opts));
        mkdirSync(dirname(opts.db), { recursive: true });
        const relayer = startRelayer({ lane, privateKey: relayerKey(env), dbPath: opts.db });
        print(`relaying ${lane.chains[0].name} <-> ${lane.chains[1].name}; progress in ${opts.db}`);
        await untilInterrupted();
        await relayer.stop();
        print(`stopped after ${relayer.stats.delivered} deliveries`);
      }),
    );

  bridge
    .command("lane")
    .description("start two local chains with the lane and the token registered, plus a relayer")
    .option("--lane <file>", "where to write the lane config", DEFAULT_LANE_FILE)
    .option("--db <file>", "SQLite file for the relayer's progress", ".vigil/bridge-relayer.db")
    .action(
      run(async (opts: { lane: string; db: string }) => {
        mkdirSync(dirname(opts.lane), { recursive: true });
        mkdirSync(dirname(opts.db), { recursive: true });
        const lane = await startLocalLane({ configFile: opts.lane });
        // Something to send: the deployer (the token admin) mints itself 1,000,000 VGL on each chain.
        const deployer = privateKeyToAccount(lane.deployerKey);
        for (const [i, c] of laneClients(lane.config, deployer).entries()) {
          const token = lane.config.chains[i]?.token as Address;
          const grant = await c.wallet.writeContract({
            address: token,
            abi: tokenAbi,
            functionName: "grantMintAndBurnRoles",
            args: [deployer.address],
          });
          await c.public.waitForTransactionReceipt({ hash: grant });
          const mint = await c.wallet.writeContract({
            address: token,
            abi: tokenAbi,
            functionName: "mint",
            args: [deployer.address, parseUnits("1000000", 18)],
          });
          await c.public.waitForTransactionReceipt({ hash: mint });
        }
        const relayer = startRelayer({ lane: lane.config, privateKey: lane.relayerKey, dbPath: opts.db });
        for (const c of lane.config.chains) {
          print(`${c.name}: ${c.rpcUrl} chain id ${c.chainId} selector ${c.chainSelector} token ${c.token}`);
        }
        print(
          `lane config in ${opts.lane}; anvil account 0 is the token admin and holds 1,000,000 VGL on each chain`,
        );
        await untilInterrupted();
        await relayer.stop();
        await lane.stop();
      }),
    );

  bridge.addCommand(setupCommand(print, env));

  return bridge;
}

async function follow(
  lane: LaneConfig,
  clients: readonly [ChainClients, ChainClients],
  id: Hex,
  timeoutMs: number,
  print: (line: string) => void,
): Promise<void> {
  await waitForDelivery(lane, clients, id, { timeoutMs, onProgress: (s) => print(describe(s)) });
}

function describe(s: TransferStatus): string {
  const what = `${formatUnits(s.message.amount, 18)} VGL ${s.source.name} -> ${s.dest.name} to ${s.message.receiver}`;
  return s.state === "delivered"
    ? `delivered: ${what} (tx ${s.deliveryTx ?? "unknown"})`
    : `in flight: ${what} (sequence ${s.message.sequenceNumber}, waiting for the relayer)`;
}

function laneClients(lane: LaneConfig, account: ReturnType<typeof privateKeyToAccount>) {
  return lane.chains.map((c) =>
    chainClients(laneChain(c.chainId, c.name, c.rpcUrl), account),
  ) as unknown as readonly [ChainClients, ChainClients];
}

function privateKey(env: NodeJS.ProcessEnv): Hex {
  const key = env.VIGIL_PRIVATE_KEY;
  if (!key || !isHex(key) || key.length !== 66) {
    throw new BridgeError("CONFIG", "set VIGIL_PRIVATE_KEY to the sender's private key (0x + 64 hex digits)");
  }
  return key;
}

function relayerKey(env: NodeJS.ProcessEnv): Hex {
  const key = env.VIGIL_RELAYER_KEY;
  if (!key || !isHex(key) || key.length !== 66) {
    throw new BridgeError("CONFIG", "set VIGIL_RELAYER_KEY to a transmitter key of both off-ramps");
  }
  return key;
}

function parseAmount(value: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(value))
    throw new InvalidArgumentError("a positive decimal VGL amount, e.g. 12.5");
  const amount = parseUnits(value, 18);
  if (amount === 0n) throw new InvalidArgumentError("must be more than 0");
  return amount;
}

function parseAddress(value: string): Address {
  if (!isAddress(value, { strict: false })) throw new InvalidArgumentError("not an Ethereum address");
  return getAddress(value);
}

function parseMessageId(value: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new InvalidArgumentError("a message id is 0x + 64 hex digits");
  return value as Hex;
}

function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("a positive integer");
  return n;
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
