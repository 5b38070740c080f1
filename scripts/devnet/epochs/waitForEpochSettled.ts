import { setTimeout as sleep } from "node:timers/promises";
import type { Address, Hash, Hex, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../../contracts";
import { DevnetError } from "../errors";

export interface SettledEpoch {
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
  observationsCommitment: Hex;
  deviceCount: number;
  totalReward: bigint;
  totalSlash: bigint;
  txHash: Hash;
  blockNumber: bigint;
}

export interface AppliedSlash {
  epoch: bigint;
  deviceId: Hex;
  amount: bigint;
  reason: number;
  evidenceHash: Hex;
  txHash: Hash;
}

/**
 * Waits until the settlement contract emits `EpochSettled` for `(networkId, epoch)`, by polling logs
 * (anvil mines on demand, so a poll every 200 ms costs nothing). Throws `NOT_SETTLED` when the
 * timeout passes first; an RPC error is thrown as it comes.
 */
export async function waitForEpochSettled(
  client: PublicClient,
  settlement: Address,
  networkId: bigint,
  epoch: bigint,
  options: { timeoutMs: number; fromBlock?: bigint; signal?: AbortSignal },
): Promise<SettledEpoch> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    const logs = await client.getContractEvents({
      address: settlement,
      abi: vigilSettlementAbi,
      eventName: "EpochSettled",
      args: { networkId, epoch },
      fromBlock: options.fromBlock ?? 0n,
      strict: true,
    });
    const log = logs[0];
    if (log) {
      return {
        networkId,
        epoch,
        resultRoot: log.args.resultRoot,
        observationsCommitment: log.args.observationsCommitment,
        deviceCount: log.args.deviceCount,
        totalReward: log.args.totalReward,
        totalSlash: log.args.totalSlash,
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
      };
    }
    await sleep(200);
  }
  throw new DevnetError(
    "NOT_SETTLED",
    `epoch ${epoch} of network ${networkId} not settled within ${options.timeoutMs} ms`,
    {
      networkId: String(networkId),
      epoch: String(epoch),
    },
  );
}

/** Device slashes the settlement contract applied for an epoch (from settlement or fraud reports). */
export async function readAppliedSlashes(
  client: PublicClient,
  settlement: Address,
  networkId: bigint,
  epoch: bigint,
): Promise<AppliedSlash[]> {
  const logs = await client.getContractEvents({
    address: settlement,
    abi: vigilSettlementAbi,
    eventName: "DeviceSlashApplied",
    args: { networkId, epoch },
    fromBlock: 0n,
    strict: true,
  });
  return logs.map((l) => ({
    epoch,
    deviceId: l.args.deviceId,
    amount: l.args.amount,
    reason: l.args.reason,
    evidenceHash: l.args.evidenceHash,
    txHash: l.transactionHash,
  }));
}
