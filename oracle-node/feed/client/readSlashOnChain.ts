import type { Address, Hex, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../../contracts/portable";
import { NotSlashedOnChainError } from "./errors";

/** A device's slash as the settlement contract applied it (`DeviceSlashApplied`). */
export interface SlashOnChain {
  networkId: bigint;
  epoch: bigint;
  deviceId: Hex;
  /** What the registry took. */
  amount: bigint;
  /** `DeviceSlash.reason`: the attestation library's `FraudReason` code. */
  reason: number;
  /** keccak256 of the evidence bundle the slash was based on. */
  evidenceHash: Hex;
  transactionHash: Hex;
  blockNumber: bigint;
}

export interface ReadSlashOnChainParameters {
  networkId: bigint;
  epoch: bigint;
  deviceId: Hex;
  /** First block to search (the settlement contract's deployment block); default 0. */
  fromBlock?: bigint;
}

/**
 * The `DeviceSlashApplied` of a device in an epoch: a device is slashed at most once per epoch, by a
 * kind-2 fraud report mid-epoch or by the epoch's settlement, so there is at most one.
 * `NotSlashedOnChainError` if there is none (a skipped slash, `DeviceSlashSkipped`, took nothing).
 */
export async function readSlashOnChain(
  client: PublicClient,
  settlement: Address,
  params: ReadSlashOnChainParameters,
): Promise<SlashOnChain> {
  const { networkId, epoch, deviceId } = params;
  const logs = await client.getContractEvents({
    address: settlement,
    abi: vigilSettlementAbi,
    eventName: "DeviceSlashApplied",
    args: { networkId, epoch, deviceId },
    fromBlock: params.fromBlock ?? 0n,
    strict: true,
  });
  const log = logs[0];
  if (!log) throw new NotSlashedOnChainError(networkId, epoch, deviceId);
  return {
    networkId,
    epoch,
    deviceId: log.args.deviceId,
    amount: log.args.amount,
    reason: log.args.reason,
    evidenceHash: log.args.evidenceHash,
    transactionHash: log.transactionHash,
    blockNumber: log.blockNumber,
  };
}
