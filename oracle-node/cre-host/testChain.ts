import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Abi,
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type WalletClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { FORGE_OUT } from "../../contracts/artifacts";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";

/** anvil's first dev key (mnemonic "test test ... junk"), funded on every fresh anvil. */
export const ANVIL_ADMIN_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/** CRE's chain selector for anvil (chain id 31337), from the SDK's chain-selector table. */
export const ANVIL_CHAIN_SELECTOR = 7759470850252068959n;

/**
 * Reads a forge artifact from `$FOUNDRY_OUT` when set (engineers building into their own output
 * dir), else from `contracts/out`, which `npm test` builds.
 */
export function loadForgeArtifact(
  file: string,
  contract = file.replace(/\.sol$/, ""),
): { abi: Abi; bytecode: Hex } {
  const dirs = [process.env.FOUNDRY_OUT, FORGE_OUT].filter((d): d is string => !!d);
  for (const dir of dirs) {
    try {
      const json = JSON.parse(readFileSync(join(dir, file, `${contract}.json`), "utf8"));
      return { abi: json.abi, bytecode: json.bytecode.object };
    } catch {
      // try the next output dir
    }
  }
  throw new Error(`forge artifact ${file}:${contract} not found in ${dirs.join(", ")}; run \`forge build\``);
}

export interface CreTestChain {
  anvil: Anvil;
  publicClient: PublicClient;
  admin: WalletClient;
  forwarder: Address;
  forwarderAbi: Abi;
  donId: number;
  configVersion: number;
  f: number;
  signerKeys: Hex[];
  transmitterKeys: Hex[];
  deploy(file: string, contract: string, args?: unknown[]): Promise<{ address: Address; abi: Abi }>;
  stop(): Promise<void>;
}

/**
 * A fresh anvil with Chainlink's real `KeystoneForwarder`, configured for a DON of `n = 3f + 1`
 * freshly generated report signers, and n fresh transmitters funded with 100 ETH each.
 */
export async function startCreTestChain(opts: { f?: number } = {}): Promise<CreTestChain> {
  const f = opts.f ?? 1;
  const n = 3 * f + 1;
  const anvil = await startAnvil();
  const chain = defineChain({
    id: anvil.chainId,
    name: "anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [anvil.rpcUrl] } },
  });
  const publicClient = createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 50 });
  const admin = createWalletClient({
    chain,
    transport: http(anvil.rpcUrl),
    account: privateKeyToAccount(ANVIL_ADMIN_KEY),
    pollingInterval: 50,
  });
  const deploy = async (file: string, contract: string, args: unknown[] = []) => {
    const { abi, bytecode } = loadForgeArtifact(file, contract);
    const hash = await admin.deployContract({ abi, bytecode, args, account: admin.account!, chain });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    return { address: receipt.contractAddress!, abi };
  };
  const fwd = await deploy("KeystoneForwarder.sol", "KeystoneForwarder");
  const signerKeys = Array.from({ length: n }, () => generatePrivateKey());
  const donId = 1;
  const configVersion = 1;
  const hash = await admin.writeContract({
    address: fwd.address,
    abi: fwd.abi,
    functionName: "setConfig",
    args: [donId, configVersion, f, signerKeys.map((k) => privateKeyToAccount(k).address)],
    account: admin.account!,
    chain,
  });
  await publicClient.waitForTransactionReceipt({ hash });
  const transmitterKeys = Array.from({ length: n }, () => generatePrivateKey());
  for (const k of transmitterKeys) {
    await publicClient.request({
      method: "anvil_setBalance" as never,
      params: [privateKeyToAccount(k).address, "0x56BC75E2D63100000"] as never,
    });
  }
  return {
    anvil,
    publicClient: publicClient as PublicClient,
    admin,
    forwarder: fwd.address,
    forwarderAbi: fwd.abi,
    donId,
    configVersion,
    f,
    signerKeys,
    transmitterKeys,
    deploy,
    stop: () => anvil.stop(),
  };
}

export interface VigilContracts {
  token: { address: Address; abi: Abi };
  registry: { address: Address; abi: Abi };
  settlement: { address: Address; abi: Abi };
  networkId: bigint;
  /** Sends a transaction from the admin and waits for its successful receipt. */
  send(to: { address: Address; abi: Abi }, functionName: string, args: unknown[]): Promise<void>;
}

/**
 * Deploys Vigil's token, registry and settlement contracts against the chain's forwarder, accepts
 * the two Vigil workflows from `workflowOwner`, registers one network whose epochs already ended
 * (genesis `genesisAgoS` seconds ago) and funds its reward budget.
 */
export async function deployVigil(
  chain: CreTestChain,
  opts: { workflowOwner: Hex; settleName: Hex; slashName: Hex; epochLength?: number; genesisAgoS?: bigint },
): Promise<VigilContracts> {
  const admin = chain.admin.account!.address;
  const send = async (to: { address: Address; abi: Abi }, functionName: string, args: unknown[]) => {
    const hash = await chain.admin.writeContract({
      ...to,
      functionName,
      args,
      account: chain.admin.account!,
      chain: chain.admin.chain,
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  };
  const token = await chain.deploy("VigilToken.sol", "VigilToken", [admin, 0n]);
  await send(token, "grantMintAndBurnRoles", [admin]);
  const registry = await chain.deploy("VigilRegistry.sol", "VigilRegistry", [token.address, admin, 0n, 0n]);
  const settlement = await chain.deploy("VigilSettlement.sol", "VigilSettlement", [
    registry.address,
    chain.forwarder,
    admin,
    0,
  ]);
  await send(registry, "setSettlement", [settlement.address]);
  await send(settlement, "setWorkflow", [1, opts.workflowOwner, opts.settleName]);
  await send(settlement, "setWorkflow", [2, opts.workflowOwner, opts.slashName]);
  const now = (await chain.publicClient.getBlock()).timestamp;
  await send(registry, "registerNetwork", [
    {
      rewardBudgetPerEpoch: 1000n * 10n ** 18n,
      stakePerDevice: 10n * 10n ** 18n,
      epochLength: opts.epochLength ?? 60,
      genesisTime: now - (opts.genesisAgoS ?? 600n),
      challengePolicyId: 0,
      k: 1,
    },
  ]);
  const networkId = (await chain.publicClient.readContract({
    ...registry,
    functionName: "networkCount",
  })) as bigint;
  await send(token, "mint", [admin, 10n ** 24n]);
  await send(token, "approve", [settlement.address, 2n ** 256n - 1n]);
  await send(token, "approve", [registry.address, 2n ** 256n - 1n]);
  await send(settlement, "depositBudget", [networkId, 5000n * 10n ** 18n]);
  return { token, registry, settlement, networkId, send };
}
