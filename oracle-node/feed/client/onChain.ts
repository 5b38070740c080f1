import type { Address, Hex, PublicClient } from "viem";
import { vigilFeedAbi, vigilRegistryAbi } from "../../../contracts/abi";
import type { DeviceLine } from "../../../contracts/lines";
import { LineRejectedOnChainError, NotSettledOnChainError, RootMismatchError } from "./errors";

/** The registry's active oracle signers: the set `ResultVote`s are checked against. */
export function readOracleSigners(client: PublicClient, registry: Address): Promise<readonly Address[]> {
  return client.readContract({ address: registry, abi: vigilRegistryAbi, functionName: "getActiveSigners" });
}

/** Checks that the settlement contract stored `root` for the epoch; returns the stored result. */
export async function verifyRootOnChain(
  client: PublicClient,
  settlement: Address,
  networkId: bigint,
  epoch: bigint,
  root: Hex,
  node?: string,
) {
  let stored: Awaited<ReturnType<typeof readEpochResult>>;
  try {
    stored = await readEpochResult(client, settlement, networkId, epoch);
  } catch (cause) {
    // `epochResult` reverts with EpochNotSettled; any other failure is the RPC's and is rethrown.
    if (cause instanceof Error && /EpochNotSettled|reverted/.test(cause.message))
      throw new NotSettledOnChainError(node, networkId, epoch, cause);
    throw cause;
  }
  if (stored.settledAt === 0n) throw new NotSettledOnChainError(node, networkId, epoch);
  if (stored.resultRoot.toLowerCase() !== root.toLowerCase())
    throw new RootMismatchError(node, root, stored.resultRoot);
  return stored;
}

function readEpochResult(client: PublicClient, settlement: Address, networkId: bigint, epoch: bigint) {
  return client.readContract({
    address: settlement,
    abi: vigilFeedAbi,
    functionName: "epochResult",
    args: [networkId, epoch],
  });
}

/** Asks the settlement contract itself (`verifyLine`) whether the line is in the settled result. */
export async function verifyLineOnChain(
  client: PublicClient,
  settlement: Address,
  line: DeviceLine,
  proof: readonly Hex[],
  node?: string,
): Promise<void> {
  const ok = await client.readContract({
    address: settlement,
    abi: vigilFeedAbi,
    functionName: "verifyLine",
    args: [line.networkId, line.epoch, line, proof],
  });
  if (!ok) throw new LineRejectedOnChainError(node, line.deviceId);
}
