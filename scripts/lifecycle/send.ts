import type {
  Abi,
  ContractFunctionArgs,
  ContractFunctionName,
  Hash,
  PublicClient,
  TransactionReceipt,
} from "viem";
import type { LifecycleWallet } from "./chainContext";
import { LifecycleError } from "./errors";

/**
 * Simulates a call from the wallet's account, then sends it and waits for its receipt. The
 * simulation comes first so a call the contract would refuse fails with its decoded custom error
 * and costs nothing (describeError turns it into one line).
 */
export async function simulateAndSend<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
  args extends ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>,
>(
  client: PublicClient,
  wallet: LifecycleWallet,
  call: { address: `0x${string}`; abi: abi; functionName: functionName; args: args },
): Promise<TransactionReceipt> {
  // viem's generic request types do not survive the re-export: the call was type-checked above.
  const { request } = await client.simulateContract({ ...call, account: wallet.account } as never);
  const hash = await wallet.writeContract(request as never);
  return waitMined(client, hash, call.functionName);
}

export async function waitMined(client: PublicClient, hash: Hash, what: string): Promise<TransactionReceipt> {
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (receipt.status !== "success")
    throw new LifecycleError("TX_FAILED", `${what} reverted on chain (tx ${hash})`, { hash });
  return receipt;
}

/**
 * Sends transactions one after the other (each send awaited, so nonces go out in order and a failed
 * send leaves no gap that would stall the rest), then waits for all receipts together: for batches
 * (the devnet registers dozens of devices) where one round trip per transaction would add up.
 */
export async function sendAll(
  client: PublicClient,
  txs: (() => Promise<Hash>)[],
): Promise<TransactionReceipt[]> {
  const hashes: Hash[] = [];
  for (const tx of txs) hashes.push(await tx());
  const receipts = await Promise.all(
    hashes.map((hash) => client.waitForTransactionReceipt({ hash, pollingInterval: 50 })),
  );
  const failed = receipts.find((r) => r.status !== "success");
  if (failed)
    throw new LifecycleError("TX_FAILED", `transaction ${failed.transactionHash} reverted`, {
      hash: failed.transactionHash,
    });
  return receipts;
}
