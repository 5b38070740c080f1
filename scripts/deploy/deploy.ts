/**
 * Deploys and wires Vigil's contracts on any RPC from forge's artifacts: the reward token, Chainlink's
 * KeystoneForwarder (with `setConfig(donId, configVersion, f, signers)`), the registry, the settlement
 * contract (allowed workflows per report kind) and the example feed consumer. Prints the addresses as
 * JSON (docs/interfaces.md, "Deployment output") and optionally writes them to a file.
 *
 *   npx tsx scripts/deploy/deploy.ts --rpc http://127.0.0.1:8545 --private-key 0x… \
 *     --signers 0xA,0xB,0xC,0xD --f 1 --workflow 1:0xOwner:epoch-settlement --out deployment.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
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
  sha256,
  stringToHex,
  toBytes,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { type Deployment, deploymentSchema, loadArtifact } from "../../contracts/index";

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
  await send(registry, registryAbi, "setSettlement", [settlement]);
  for (const w of o.workflows) {
    await send(settlement, settlementAbi, "setWorkflow", [w.kind, w.owner, w.name]);
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

  const deployment = deploymentSchema.parse({
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

export async function main(argv: string[]): Promise<Deployment> {
  const program = new Command()
    .name("deploy")
    .description("Deploy Vigil's contracts and print their addresses as JSON")
    .requiredOption("--rpc <url>", "JSON-RPC endpoint")
    .requiredOption("--private-key <hex>", "deployer key (becomes admin of every contract)")
    .requiredOption("--signers <addresses>", "comma-separated forwarder signers")
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
    .option("--out <file>", "write the deployment JSON here")
    .exitOverride();
  program.parse(argv, { from: "user" });
  const flags = program.opts<{
    rpc: string;
    privateKey: string;
    signers: string;
    f: string;
    donId: string;
    configVersion: string;
    workflow: { kind: 1 | 2; owner: string; name: string }[];
    reporterRewardBps: string;
    out?: string;
  }>();
  return deployVigil({
    rpcUrl: flags.rpc,
    privateKey: flags.privateKey,
    signers: flags.signers.split(",").map((s) => s.trim()),
    f: Number(flags.f),
    donId: Number(flags.donId),
    configVersion: Number(flags.configVersion),
    workflows: flags.workflow,
    reporterRewardBps: Number(flags.reporterRewardBps),
    out: flags.out,
  });
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
