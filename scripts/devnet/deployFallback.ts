// Devnet-only stand-in for `scripts/deploy/deploy.ts` `deployVigil()` until that lands: deploys the
// same contracts from the forge artifacts with the same wiring. Remove once deployVigil exists.
import { writeFileSync } from "node:fs";
import { type Address, type Hex, type PublicClient, parseEther } from "viem";
import { type Deployment, loadArtifact } from "../../contracts";
import type { DevnetWallet } from "./register";

export interface FallbackDeployOptions {
  /** Forwarder signers: the oracle nodes' Ethereum signers. */
  signers: readonly Address[];
  f: number;
  /** Workflows allowed to report, per kind (1 settlement, 2 fraud slash). */
  workflows: readonly { kind: number; owner: Address; name: Hex }[];
  donId?: number;
  configVersion?: number;
  file?: string;
}

async function deploy(
  client: PublicClient,
  wallet: DevnetWallet,
  file: string,
  args: readonly unknown[],
  contract?: string,
): Promise<Address> {
  const { abi, bytecode } = loadArtifact(file, contract);
  const hash = await wallet.deployContract({ abi, bytecode, args: args as unknown[] });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (!receipt.contractAddress) throw new Error(`deploying ${file} created no contract`);
  return receipt.contractAddress;
}

async function call(
  client: PublicClient,
  wallet: DevnetWallet,
  address: Address,
  file: string,
  functionName: string,
  args: readonly unknown[],
) {
  const { abi } = loadArtifact(file);
  const hash = await wallet.writeContract({ address, abi, functionName, args: args as unknown[] });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== "success") throw new Error(`${file} ${functionName} reverted (${hash})`);
}

export async function deployFallback(
  client: PublicClient,
  wallet: DevnetWallet,
  o: FallbackDeployOptions,
): Promise<Deployment> {
  const admin = wallet.account.address;
  const deployBlock = Number(await client.getBlockNumber());
  const token = await deploy(client, wallet, "VigilToken.sol", [admin, 0n]);
  // Unbonding 1 h and a 100 VGL operator minimum: small numbers that still exercise both rules.
  const registry = await deploy(client, wallet, "VigilRegistry.sol", [
    token,
    admin,
    3600n,
    parseEther("100"),
  ]);
  const forwarder = await deploy(client, wallet, "KeystoneForwarder.sol", []);
  const settlement = await deploy(client, wallet, "VigilSettlement.sol", [registry, forwarder, admin, 1000]);
  await call(client, wallet, registry, "VigilRegistry.sol", "setSettlement", [settlement]);
  const donId = o.donId ?? 1;
  const configVersion = o.configVersion ?? 1;
  await call(client, wallet, forwarder, "KeystoneForwarder.sol", "setConfig", [
    donId,
    configVersion,
    o.f,
    o.signers,
  ]);
  for (const w of o.workflows) {
    await call(client, wallet, settlement, "VigilSettlement.sol", "setWorkflow", [w.kind, w.owner, w.name]);
  }
  const deployment: Deployment = {
    chainId: await client.getChainId(),
    token,
    forwarder,
    registry,
    settlement,
    consumer: settlement,
    deployBlock,
    donId,
    configVersion,
  };
  if (o.file) writeFileSync(o.file, `${JSON.stringify(deployment, null, 2)}\n`);
  return deployment;
}
