import type { Address, Hex, PublicClient } from "viem";
import {
  type DeviceLine,
  vigilFeedAbi,
  vigilRegistryAbi,
  vigilSettlementAbi,
} from "../../../contracts/portable";
import {
  LineRejectedOnChainError,
  NotSettledOnChainError,
  ResultMismatchError,
  RootMismatchError,
} from "./errors";

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
  /** Result fields the votes do not cover (only root and commitment are signed): checked against the chain. */
  expected: Partial<{
    observationsCommitment: Hex;
    deviceCount: number;
    totalReward: bigint;
    totalSlash: bigint;
  }> = {},
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
  const onChain = {
    observationsCommitment: stored.observationsCommitment.toLowerCase(),
    deviceCount: stored.deviceCount,
    totalReward: stored.totalReward,
    totalSlash: stored.totalSlash,
  };
  for (const [field, value] of Object.entries(expected)) {
    const actual = onChain[field as keyof typeof onChain];
    const served = typeof value === "string" ? value.toLowerCase() : value;
    if (served !== actual) throw new ResultMismatchError(node, field, served, actual);
  }
  return stored;
}

/** The settlement contract's stored result of an epoch (reverts with `EpochNotSettled` when there is none). */
export function readEpochResult(client: PublicClient, settlement: Address, networkId: bigint, epoch: bigint) {
  return client.readContract({
    address: settlement,
    abi: vigilFeedAbi,
    functionName: "epochResult",
    args: [networkId, epoch],
  });
}

/** The next epoch the settlement contract will settle: every epoch below it is settled (or timed out). */
export function readNextEpoch(client: PublicClient, settlement: Address, networkId: bigint): Promise<bigint> {
  return client.readContract({
    address: settlement,
    abi: vigilSettlementAbi,
    functionName: "nextEpoch",
    args: [networkId],
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
