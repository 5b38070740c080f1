import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  getAddress,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { loadArtifact } from "../contracts/artifacts.js";
import { BridgeError } from "./errors.js";

/** A wallet bound to an account and chain, plus a public client for the same RPC. */
export interface ChainClients {
  wallet: WalletClient<Transport, Chain, Account>;
  public: PublicClient<Transport, Chain>;
}

/** Deploys `contract` from forge's artifact of `file` and waits for its address. */
export async function deployFromArtifact(
  clients: ChainClients,
  file: string,
  contract: string,
  args: readonly unknown[] = [],
): Promise<Address> {
  const { abi, bytecode } = loadArtifact(file, contract);
  const hash = await clients.wallet.deployContract({ abi: abi as Abi, bytecode, args: args as unknown[] });
  const receipt = await clients.public.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress || receipt.status !== "success") {
    throw new BridgeError("REVERTED", `deploying ${contract} failed`, { context: { hash } });
  }
  return getAddress(receipt.contractAddress);
}

/** Sends a write and waits for it to be mined successfully. */
export async function sendAndWait(clients: ChainClients, hashPromise: Promise<Hex>): Promise<Hex> {
  const hash = await hashPromise;
  const receipt = await clients.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    throw new BridgeError("REVERTED", `transaction ${hash} reverted`, { context: { hash } });
  }
  return hash;
}
