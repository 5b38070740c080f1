import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Deployment, deploymentSchema } from "../../contracts/index";
import { LifecycleError } from "./errors";
import type { CliIo } from "./io";

/** The flags every lifecycle command shares. */
export interface ChainFlags {
  rpcUrl: string;
  deployment: string;
  privateKeyFile?: string;
  privateKey?: string;
  json?: boolean;
}

export type LifecycleWallet = WalletClient<Transport, Chain, Account>;

export interface ChainContext {
  client: PublicClient;
  deployment: Deployment;
  chain: Chain;
}

export interface SigningContext extends ChainContext {
  wallet: LifecycleWallet;
}

/** Adds --rpc-url, --deployment, the key flags and --json to `command`. */
export function withChainFlags(command: Command, { signs }: { signs: boolean }): Command {
  command
    .addOption(new Option("--rpc-url <url>", "JSON-RPC endpoint").env("VIGIL_RPC_URL").makeOptionMandatory())
    .addOption(
      new Option("--deployment <file>", "deployment JSON written by `vigil deploy`")
        .env("VIGIL_DEPLOYMENT")
        .makeOptionMandatory(),
    )
    .option("--json", "print the result as JSON");
  if (signs) {
    command
      .option(
        "--private-key-file <file>",
        "file holding the paying account's 0x private key (or set VIGIL_PRIVATE_KEY)",
      )
      // For tests and throwaway chains only: a key on the command line lands in shell history and
      // in every other user's `ps` output.
      .addOption(
        new Option("--private-key <hex>", "the key itself (insecure: shell history, ps)").hideHelp(),
      );
  }
  return command;
}

function loadDeploymentFile(path: string): Deployment {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new LifecycleError("INVALID_INPUT", `cannot read deployment file ${path}`, { path }, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LifecycleError("INVALID_INPUT", `deployment file ${path} is not JSON`, { path }, { cause });
  }
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LifecycleError(
      "INVALID_INPUT",
      `deployment file ${path}: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      { path },
    );
  }
  return parsed.data;
}

/** Read-only clients for the deployment; checks that the RPC serves the deployment's chain. */
export async function openChain(flags: ChainFlags): Promise<ChainContext> {
  const deployment = loadDeploymentFile(flags.deployment);
  const chain: Chain = {
    id: deployment.chainId,
    name: `chain-${deployment.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [flags.rpcUrl] } },
  };
  const client = createPublicClient({
    chain,
    transport: http(flags.rpcUrl, { retryCount: 1 }),
    pollingInterval: 100,
  });
  const chainId = await client.getChainId();
  if (chainId !== deployment.chainId) {
    throw new LifecycleError(
      "INVALID_INPUT",
      `${flags.rpcUrl} serves chain ${chainId}, but the deployment file is for chain ${deployment.chainId}`,
      { chainId, expected: deployment.chainId },
    );
  }
  return { client, deployment, chain };
}

/** The paying account's key: --private-key-file, else VIGIL_PRIVATE_KEY, else (warned) --private-key. */
export function loadPrivateKey(flags: ChainFlags, io: CliIo): `0x${string}` {
  let key: string | undefined;
  let source: string;
  if (flags.privateKeyFile) {
    source = flags.privateKeyFile;
    try {
      key = readFileSync(flags.privateKeyFile, "utf8").trim();
    } catch (cause) {
      throw new LifecycleError("NO_KEY", `cannot read key file ${flags.privateKeyFile}`, {}, { cause });
    }
  } else if (process.env.VIGIL_PRIVATE_KEY) {
    source = "VIGIL_PRIVATE_KEY";
    key = process.env.VIGIL_PRIVATE_KEY.trim();
  } else if (flags.privateKey) {
    source = "--private-key";
    io.err("warning: --private-key puts the key in shell history and ps output; use --private-key-file");
    key = flags.privateKey;
  } else {
    throw new LifecycleError(
      "NO_KEY",
      "no signing key: pass --private-key-file <file> or set VIGIL_PRIVATE_KEY",
    );
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key))
    throw new LifecycleError("NO_KEY", `${source} does not hold a 0x-prefixed 32-byte hex private key`);
  return key as `0x${string}`;
}

/** Clients plus a wallet for the paying account. */
export async function openSigningChain(flags: ChainFlags, io: CliIo): Promise<SigningContext> {
  const account = privateKeyToAccount(loadPrivateKey(flags, io));
  const context = await openChain(flags);
  const wallet = createWalletClient({ account, chain: context.chain, transport: http(flags.rpcUrl) });
  return { ...context, wallet };
}
