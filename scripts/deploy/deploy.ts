/**
 * Deploys and wires Vigil's contracts on any RPC from forge's artifacts: the reward token, Chainlink's
 * KeystoneForwarder (with `setConfig(donId, configVersion, f, signers)`), the registry, the settlement
 * contract (allowed workflows per report kind) and the example feed consumer. Prints the addresses as
 * JSON (docs/interfaces.md, "Deployment output") and optionally writes them to a file.
 *
 *   VIGIL_PRIVATE_KEY=0x… npx vigil deploy --rpc-url http://127.0.0.1:8545 \
 *     --signers 0xA,0xB,0xC,0xD --f 1 --workflow 1:0xOwner:epoch-settlement --out deployment.json
 *
 * (`npx tsx scripts/deploy/deploy.ts …` takes the same flags.)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";
import {
  type Abi,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  getAddress,
  type Hex,
  http,
  isAddress,
  isHex,
  parseGwei,
  sha256,
  stringToHex,
  toBytes,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { type Deployment, deploymentSchema, loadArtifact } from "../../contracts/index";
import { loadPrivateKey } from "../lifecycle/chainContext";
import { type CliIo, guarded, processIo } from "../lifecycle/io";
import {
  type GenesisTime,
  parseAddress,
  parseGenesisTime,
  parsePositive,
  parseTokenAmount,
  parseUint8,
  parseUint32,
  parseUint64,
  uintParser,
} from "../lifecycle/parsers";
import { deployGovernance, governanceOptionsSchema } from "./governance";

/** Errors of this script carry a code so callers (devnet, CLI) can tell bad input from a failed chain call. */
export class DeployError extends Error {
  constructor(
    readonly code: "INVALID_OPTIONS" | "TX_REVERTED" | "NO_CONTRACT",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DeployError";
  }
}

const address = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), "expected a 20-byte hex address")
  .transform((v) => getAddress(v));
const bytes10 = z
  .string()
  .refine((v) => isHex(v) && v.length === 22, "expected a bytes10 hex value (0x + 20 hex digits)")
  .transform((v) => v as Hex);

export const networkParamsSchema = z.object({
  rewardBudgetPerEpoch: z.bigint().nonnegative(),
  stakePerDevice: z.bigint().nonnegative(),
  epochLength: z
    .number()
    .int()
    .positive()
    .max(2 ** 32 - 1),
  /** 0: the registration block's time. */
  genesisTime: z.bigint().nonnegative().default(0n),
  challengePolicyId: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1)
    .default(0),
  k: z.number().int().positive().max(255),
});

export const deployOptionsSchema = z
  .object({
    rpcUrl: z.url(),
    privateKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 32-byte hex private key"),
    /** The DON's report signers (the oracle nodes' Ethereum signers). */
    signers: z.array(address).min(1).max(31),
    /** Faulty signers tolerated; the forwarder wants exactly f + 1 signatures and at least 3f + 1 signers. */
    f: z.number().int().positive().max(10),
    donId: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 32 - 1)
      .default(1),
    configVersion: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 32 - 1)
      .default(1),
    /** Workflows allowed to send each report kind (1 epoch settlement, 2 fraud slash). */
    workflows: z
      .array(z.object({ kind: z.union([z.literal(1), z.literal(2)]), owner: address, name: bytes10 }))
      .default([]),
    unbondingDelay: z
      .bigint()
      .nonnegative()
      .default(7n * 24n * 3600n),
    minOperatorStake: z
      .bigint()
      .nonnegative()
      .default(100n * 10n ** 18n),
    /** Share of a slashed oracle stake paid to whoever proves the equivocation, in basis points. */
    reporterRewardBps: z.number().int().min(0).max(10_000).default(5_000),
    /** Registers a first network (its id goes to the example consumer and the output). */
    network: networkParamsSchema.optional(),
    /** Reward tokens minted right after deployment (the deployer keeps the mint role only for this). */
    mint: z.array(z.object({ to: address, amount: z.bigint().positive() })).default([]),
    /**
     * The verification fee per verified device-epoch (VGL wei) and its split in basis points: burned, to
     * operators, the rest to the treasury (docs/contracts.md, "Economics"). Absent: no fee.
     */
    fees: z
      .object({
        feePerDeviceEpoch: z
          .bigint()
          .nonnegative()
          .max(2n ** 128n - 1n),
        burnBps: z.number().int().min(0).max(10_000),
        operatorBps: z.number().int().min(0).max(10_000),
      })
      .refine((f) => f.burnBps + f.operatorBps <= 10_000, {
        message: "burnBps + operatorBps must be at most 10000",
      })
      .optional(),
    /** The transmitter's gas reimbursement: VGL wei per ETH, and the gas price cap in wei. Absent: none. */
    gasReimbursement: z
      .object({
        vglPerEth: z
          .bigint()
          .nonnegative()
          .max(2n ** 128n - 1n),
        maxGasPriceWei: z
          .bigint()
          .nonnegative()
          .max(2n ** 64n - 1n),
      })
      .optional(),
    /** Hands registry, settlement, forwarder and VGL's admin roles to a new timelock + governor (./governance.ts). */
    governance: governanceOptionsSchema.optional(),
    /** Where to write the deployment JSON. */
    out: z.string().optional(),
  })
  .refine((o) => o.signers.length > 3 * o.f, {
    message: "the forwarder needs at least 3f + 1 signers",
    path: ["signers"],
  })
  .refine((o) => new Set(o.signers).size === o.signers.length, {
    message: "duplicate signer",
    path: ["signers"],
  });

export type DeployOptions = z.input<typeof deployOptionsSchema>;

/**
 * The `bytes10` name CRE puts in report metadata for a workflow name: the first 10 characters of the hex
 * SHA-256 of the name, as ASCII bytes (chainlink-common `HashTruncateName`).
 */
export function workflowNameBytes10(name: string): Hex {
  return stringToHex(sha256(toBytes(name)).slice(2, 12), { size: 10 });
}

export async function deployVigil(options: DeployOptions): Promise<Deployment> {
  const parsed = deployOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new DeployError("INVALID_OPTIONS", `invalid deploy options: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const o = parsed.data;
  const account = privateKeyToAccount(o.privateKey as Hex);
  const transport = http(o.rpcUrl);
  const publicClient = createPublicClient({ transport, pollingInterval: 50 });
  const chainId = await publicClient.getChainId();
  const chain = {
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [o.rpcUrl] } },
  } satisfies Chain;
  const wallet = createWalletClient({ account, chain, transport, pollingInterval: 50 });

  const deploy = async (file: string, args: readonly unknown[]): Promise<Address> => {
    const { abi, bytecode } = loadArtifact(file);
    const hash = await wallet.deployContract({ abi, bytecode, args: [...args] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success" || !receipt.contractAddress) {
      throw new DeployError("NO_CONTRACT", `deploying ${file} failed (tx ${hash})`);
    }
    return getAddress(receipt.contractAddress);
  };
  const send = async (to: Address, abi: Abi, functionName: string, args: readonly unknown[]) => {
    const hash = await wallet.writeContract({ address: to, abi, functionName, args: [...args] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success") {
      throw new DeployError("TX_REVERTED", `${functionName} on ${to} reverted (tx ${hash})`);
    }
    return receipt;
  };

  const admin = account.address;
  const deployBlock = Number(await publicClient.getBlockNumber());
  const tokenAbi = loadArtifact("VigilToken.sol").abi;
  const registryAbi = loadArtifact("VigilRegistry.sol").abi;
  const settlementAbi = loadArtifact("VigilSettlement.sol").abi;
  const forwarderAbi = loadArtifact("KeystoneForwarder.sol").abi;

  const token = await deploy("VigilToken.sol", [admin, 0n]);
  const forwarder = await deploy("KeystoneForwarder.sol", []);
  await send(forwarder, forwarderAbi, "setConfig", [o.donId, o.configVersion, o.f, o.signers]);
  const registry = await deploy("VigilRegistry.sol", [token, admin, o.unbondingDelay, o.minOperatorStake]);
  const settlement = await deploy("VigilSettlement.sol", [registry, forwarder, admin, o.reporterRewardBps]);
  // The settlement burns the burn share of each fee from its own balance (`burn(uint256)` wants BURNER_ROLE).
  // Granted whatever the fees, so governance can turn a burn share on later with `setFees` alone.
  const burnerRole = (await publicClient.readContract({
    address: token,
    abi: tokenAbi,
    functionName: "BURNER_ROLE",
  })) as Hex;
  await send(token, tokenAbi, "grantRole", [burnerRole, settlement]);
  await send(registry, registryAbi, "setSettlement", [settlement]);
  for (const w of o.workflows) {
    await send(settlement, settlementAbi, "setWorkflow", [w.kind, w.owner, w.name]);
  }
  // Economics are set by the deployer while it still owns the settlement; under --governance, later changes
  // go through the timelock.
  if (o.fees) {
    const { feePerDeviceEpoch, burnBps, operatorBps } = o.fees;
    await send(settlement, settlementAbi, "setFees", [feePerDeviceEpoch, burnBps, operatorBps]);
  }
  if (o.gasReimbursement) {
    const { vglPerEth, maxGasPriceWei } = o.gasReimbursement;
    await send(settlement, settlementAbi, "setGasReimbursement", [vglPerEth, maxGasPriceWei]);
  }

  let networkId: number | undefined;
  if (o.network) {
    await send(registry, registryAbi, "registerNetwork", [o.network]);
    networkId = Number(
      await publicClient.readContract({ address: registry, abi: registryAbi, functionName: "networkCount" }),
    );
  }
  const consumer = await deploy("ExampleDePINConsumer.sol", [settlement, BigInt(networkId ?? 1)]);

  if (o.mint.length > 0) {
    const minterRole = (await publicClient.readContract({
      address: token,
      abi: tokenAbi,
      functionName: "MINTER_ROLE",
    })) as Hex;
    await send(token, tokenAbi, "grantRole", [minterRole, admin]);
    for (const m of o.mint) await send(token, tokenAbi, "mint", [m.to, m.amount]);
    await send(token, tokenAbi, "revokeRole", [minterRole, admin]);
  }

  const governance = o.governance
    ? await deployGovernance(
        { publicClient, walletClient: wallet },
        { token, registry, settlement, forwarder },
        o.governance,
      )
    : undefined;

  const deployment = deploymentSchema.parse({
    ...governance,
    chainId,
    token,
    forwarder,
    registry,
    settlement,
    consumer,
    deployBlock,
    networkId,
    donId: o.donId,
    configVersion: o.configVersion,
  });
  if (o.out) {
    const file = resolve(o.out);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(deployment, null, 2)}\n`);
  }
  return deployment;
}

/** Parses `kind:owner:name`; `name` is a bytes10 hex value or a workflow name CRE hashes to one. */
function parseWorkflow(value: string, previous: { kind: number; owner: string; name: string }[] = []) {
  const [kind, owner, name, ...rest] = value.split(":");
  if (!kind || !owner || !name || rest.length > 0) {
    throw new DeployError("INVALID_OPTIONS", `--workflow wants kind:owner:name, got "${value}"`);
  }
  const bytes = isHex(name) && name.length === 22 ? name : workflowNameBytes10(name);
  return [...previous, { kind: Number(kind), owner, name: bytes }];
}

const parseBps = (value: string) => Number(uintParser(10_000n)(value));

/** Parses a gas price in gwei (decimals allowed) to wei, at most a uint64. */
function parseGasPriceGwei(value: string): bigint {
  if (!/^\d+(\.\d{1,9})?$/.test(value))
    throw new InvalidArgumentError(`expected a gas price in gwei like 30 or 0.5, got "${value}"`);
  const wei = parseGwei(value);
  if (wei >= 2n ** 64n) throw new InvalidArgumentError(`${value} gwei exceeds a uint64 of wei`);
  return wei;
}

/** Parses `address:tokens` (tokens as `vigil network fund` takes them). */
function parseMint(value: string, previous: { to: string; amount: bigint }[] = []) {
  const [to, amount, ...rest] = value.split(":");
  if (!to || !amount || rest.length > 0)
    throw new InvalidArgumentError(`--mint wants address:tokens, got "${value}"`);
  return [...previous, { to: parseAddress(to), amount: parseTokenAmount(amount) }];
}

interface DeployFlags {
  rpcUrl?: string;
  rpc?: string;
  privateKeyFile?: string;
  privateKey?: string;
  signers: string;
  f: string;
  donId: string;
  configVersion: string;
  workflow: { kind: 1 | 2; owner: string; name: string }[];
  reporterRewardBps: string;
  unbondingDelay: bigint;
  minOperatorStake: bigint;
  mint: { to: string; amount: bigint }[];
  networkRewardBudget?: bigint;
  networkStakePerDevice?: bigint;
  networkEpochLength?: number;
  networkGenesisTime: GenesisTime;
  networkPolicy: number;
  networkK?: number;
  feePerDeviceEpoch?: bigint;
  feeBurnBps: number;
  feeOperatorBps: number;
  vglPerEth?: bigint;
  maxGasPriceGwei?: bigint;
  governance?: boolean;
  votingDelay: number;
  votingPeriod: number;
  timelockDelay: bigint;
  quorumPercent: number;
  guardian?: string;
  out?: string;
}

/**
 * The deploy command's flags (docs/contracts.md, "Deployment"); `run` gets them parsed. The key
 * comes from --private-key-file or VIGIL_PRIVATE_KEY, as for every `vigil` chain command.
 */
function deployProgram(
  io: CliIo,
  run: (deployment: Deployment) => void,
  wrap: (action: (flags: DeployFlags) => Promise<void>) => (flags: DeployFlags) => Promise<void>,
): Command {
  // Bigint defaults go through Option.default(value, description): help JSON-encodes a bare default.
  return new Command("deploy")
    .description(
      "deploy Vigil's contracts, optionally mint tokens and register a first network; prints the deployment JSON",
    )
    .option("--rpc-url <url>", "JSON-RPC endpoint")
    .addOption(new Option("--rpc <url>", "same as --rpc-url").hideHelp())
    .option(
      "--private-key-file <file>",
      "deployer key file (or VIGIL_PRIVATE_KEY); the deployer administers every contract",
    )
    .addOption(new Option("--private-key <hex>", "the key itself (insecure: shell history, ps)").hideHelp())
    .requiredOption("--signers <addresses>", "comma-separated forwarder signers (the nodes' signers)")
    .requiredOption("--f <n>", "faulty signers tolerated (exactly f+1 signatures per report)")
    .option("--don-id <n>", "DON id of the forwarder config", "1")
    .option("--config-version <n>", "forwarder config version", "1")
    .option(
      "--workflow <kind:owner:name>",
      "allowed workflow per report kind (repeatable)",
      parseWorkflow,
      [],
    )
    .option("--reporter-reward-bps <n>", "share of a slashed oracle stake for the reporter", "5000")
    .addOption(
      new Option("--unbonding-delay <seconds>", "delay between an exit request and the withdrawal")
        .argParser(parseUint64)
        .default(7n * 24n * 3600n, "604800 (7 days)"),
    )
    .addOption(
      new Option("--min-operator-stake <tokens>", "least stake an operator registers with")
        .argParser(parseTokenAmount)
        .default(100n * 10n ** 18n, "100"),
    )
    .option("--mint <address:tokens>", "mint reward tokens after deployment (repeatable)", parseMint, [])
    .option(
      "--network-reward-budget <tokens>",
      "register a first network: reward tokens per epoch",
      parseTokenAmount,
    )
    .option("--network-stake-per-device <tokens>", "first network: stake per device", parseTokenAmount)
    .option("--network-epoch-length <seconds>", "first network: seconds per epoch", parsePositive)
    .addOption(
      new Option(
        "--network-genesis-time <when>",
        "first network: unix s, +SECONDS after the latest block, or 0",
      )
        .argParser(parseGenesisTime)
        .default({ absolute: 0n }, "0"),
    )
    .option("--network-policy <id>", "first network: challenge policy id", parseUint32, 0)
    .option("--network-k <n>", "first network: oracle nodes per device", parseUint8)
    .option(
      "--fee-per-device-epoch <tokens>",
      "verification fee per verified device-epoch, paid from the network's budget",
      parseTokenAmount,
    )
    .option("--fee-burn-bps <n>", "share of the fee burned", parseBps, 0)
    .option(
      "--fee-operator-bps <n>",
      "share of the fee paid to oracle operators (the rest: treasury)",
      parseBps,
      0,
    )
    .option("--vgl-per-eth <tokens>", "VGL per ETH for the transmitter's gas reimbursement", parseTokenAmount)
    .option(
      "--max-gas-price-gwei <gwei>",
      "gas price cap for the reimbursement (with --vgl-per-eth)",
      parseGasPriceGwei,
    )
    .option("--governance", "hand registry, settlement, forwarder and VGL's admin to a timelock + governor")
    .option("--voting-delay <blocks>", "governance: blocks before a vote starts", parseUint32, 7_200)
    .option("--voting-period <blocks>", "governance: blocks a vote stays open", parseUint32, 50_400)
    .addOption(
      new Option("--timelock-delay <seconds>", "governance: delay before a passed proposal runs")
        .argParser(parseUint64)
        .default(172_800n, "172800 (2 days)"),
    )
    .option("--quorum-percent <n>", "governance: share of the supply that must vote", parseUint8, 4)
    .option("--guardian <address>", "governance: the key that may pause (and nothing else)", parseAddress)
    .option("--out <file>", "write the deployment JSON here")
    .action(
      wrap(async (flags: DeployFlags) => {
        const rpcUrl = flags.rpcUrl ?? flags.rpc;
        if (!rpcUrl) throw new DeployError("INVALID_OPTIONS", "pass --rpc-url");
        const privateKey = loadPrivateKey({ ...flags, rpcUrl, deployment: "" }, io);
        const networkFlags = [
          flags.networkRewardBudget,
          flags.networkStakePerDevice,
          flags.networkEpochLength,
          flags.networkK,
        ];
        if (networkFlags.some((f) => f !== undefined) && networkFlags.some((f) => f === undefined))
          throw new DeployError(
            "INVALID_OPTIONS",
            "a first network needs all of --network-reward-budget, --network-stake-per-device, --network-epoch-length and --network-k",
          );
        if ((flags.vglPerEth === undefined) !== (flags.maxGasPriceGwei === undefined))
          throw new DeployError(
            "INVALID_OPTIONS",
            "a gas reimbursement needs both --vgl-per-eth and --max-gas-price-gwei",
          );
        if (flags.feePerDeviceEpoch === undefined && (flags.feeBurnBps > 0 || flags.feeOperatorBps > 0))
          throw new DeployError(
            "INVALID_OPTIONS",
            "--fee-burn-bps and --fee-operator-bps need --fee-per-device-epoch",
          );
        let genesisTime = "absolute" in flags.networkGenesisTime ? flags.networkGenesisTime.absolute : 0n;
        if ("afterLatestBlock" in flags.networkGenesisTime) {
          const block = await createPublicClient({ transport: http(rpcUrl) }).getBlock();
          genesisTime = block.timestamp + flags.networkGenesisTime.afterLatestBlock;
        }
        run(
          await deployVigil({
            rpcUrl,
            privateKey,
            signers: flags.signers.split(",").map((s) => s.trim()),
            f: Number(flags.f),
            donId: Number(flags.donId),
            configVersion: Number(flags.configVersion),
            workflows: flags.workflow,
            reporterRewardBps: Number(flags.reporterRewardBps),
            unbondingDelay: flags.unbondingDelay,
            minOperatorStake: flags.minOperatorStake,
            mint: flags.mint,
            network:
              flags.networkEpochLength === undefined
                ? undefined
                : {
                    rewardBudgetPerEpoch: flags.networkRewardBudget ?? 0n,
                    stakePerDevice: flags.networkStakePerDevice ?? 0n,
                    epochLength: flags.networkEpochLength,
                    genesisTime,
                    challengePolicyId: flags.networkPolicy,
                    k: flags.networkK ?? 0,
                  },
            fees:
              flags.feePerDeviceEpoch === undefined
                ? undefined
                : {
                    feePerDeviceEpoch: flags.feePerDeviceEpoch,
                    burnBps: flags.feeBurnBps,
                    operatorBps: flags.feeOperatorBps,
                  },
            gasReimbursement:
              flags.vglPerEth === undefined || flags.maxGasPriceGwei === undefined
                ? undefined
                : { vglPerEth: flags.vglPerEth, maxGasPriceWei: flags.maxGasPriceGwei },
            governance: flags.governance
              ? {
                  votingDelay: flags.votingDelay,
                  votingPeriod: flags.votingPeriod,
                  timelockDelay: flags.timelockDelay,
                  quorumPercent: flags.quorumPercent,
                  guardian: flags.guardian,
                }
              : undefined,
            out: flags.out,
          }),
        );
      }),
    );
}

/** `vigil deploy`: failures print one line and exit 1. */
export function deployCommand(io: CliIo = processIo): Command {
  return deployProgram(
    io,
    (d) => io.out(JSON.stringify(d, null, 2)),
    (action) => guarded(io, action),
  );
}

/** The script's own CLI (`npx tsx scripts/deploy/deploy.ts …`): resolves with the deployment, rejects on any failure. */
export async function main(argv: string[]): Promise<Deployment> {
  let deployment: Deployment | undefined;
  const program = deployProgram(
    processIo,
    (d) => {
      deployment = d;
    },
    (action) => action,
  ).exitOverride();
  await program.parseAsync(argv, { from: "user" });
  if (!deployment) throw new DeployError("INVALID_OPTIONS", "nothing deployed");
  return deployment;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (deployment) => console.log(JSON.stringify(deployment)),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
