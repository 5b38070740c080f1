import type { Address, Hash, PublicClient } from "viem";
import { parseEventLogs } from "viem";
import { vigilSettlementAbi } from "../../../contracts";
import { DevnetError } from "../errors";

/** What one settled epoch emitted, paid, carried and charged (docs/contracts.md, "Economics"). */
export interface EpochEconomics {
  /** `epochEmission(networkId, epoch)`: the result function's budget. */
  emission: bigint;
  /** The settled `totalReward`. */
  paid: bigint;
  /** Emission not paid (few devices qualified): it stays in the network's budget. */
  carried: bigint;
  fee: bigint;
  burned: bigint;
  toOperators: bigint;
  toTreasury: bigint;
  /** What the budget could not pay of the fee (waived). */
  shortfall: bigint;
  /** The transmitter's gas reimbursement, part of `toOperators`. */
  reimbursement: bigint;
  /** Observers paid, each `perObserver`. */
  paidObservers: bigint;
  perObserver: bigint;
}

/**
 * Reads an epoch's economics from its settlement transaction's `FeeCharged` and `OperatorsPaid`
 * logs and the emission the nodes split, and fails when the fee does not add up
 * (`fee = burned + toOperators + toTreasury`) or the epoch paid more than its emission: these are
 * the contract's books, checked against themselves and the schedule, not against the devnet's
 * configuration.
 */
export async function readEpochEconomics(
  client: PublicClient,
  settlement: Address,
  settled: { networkId: bigint; epoch: bigint; totalReward: bigint; txHash: Hash; blockNumber: bigint },
): Promise<EpochEconomics> {
  const { networkId, epoch } = settled;
  const [receipt, emission] = await Promise.all([
    client.getTransactionReceipt({ hash: settled.txHash }),
    client.readContract({
      address: settlement,
      abi: vigilSettlementAbi,
      functionName: "epochEmission",
      args: [networkId, epoch],
      blockNumber: settled.blockNumber,
    }),
  ]);
  const logs = parseEventLogs({
    abi: vigilSettlementAbi,
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === settlement.toLowerCase()),
  });
  const mine = <T extends { args: { networkId?: bigint; epoch?: bigint } }>(l: T) =>
    l.args.networkId === networkId && l.args.epoch === epoch;
  const fee = logs.find((l) => l.eventName === "FeeCharged" && mine(l));
  const operators = logs.find((l) => l.eventName === "OperatorsPaid" && mine(l));
  const f = fee?.eventName === "FeeCharged" ? fee.args : undefined;
  const o = operators?.eventName === "OperatorsPaid" ? operators.args : undefined;
  const economics: EpochEconomics = {
    emission,
    paid: settled.totalReward,
    carried: emission > settled.totalReward ? emission - settled.totalReward : 0n,
    fee: f?.fee ?? 0n,
    burned: f?.burned ?? 0n,
    toOperators: f?.toOperators ?? 0n,
    toTreasury: f?.toTreasury ?? 0n,
    shortfall: f?.shortfall ?? 0n,
    reimbursement: o?.reimbursement ?? 0n,
    paidObservers: o?.paidObservers ?? 0n,
    perObserver: o?.perObserver ?? 0n,
  };
  const context = { check: "economics", epoch: String(epoch) };
  if (settled.totalReward > emission)
    throw new DevnetError(
      "CHECK_FAILED",
      `epoch ${epoch}: paid ${settled.totalReward} above its emission ${emission}`,
      context,
    );
  if (economics.fee !== economics.burned + economics.toOperators + economics.toTreasury)
    throw new DevnetError(
      "CHECK_FAILED",
      `epoch ${epoch}: fee ${economics.fee} ≠ burned ${economics.burned} + operators ${economics.toOperators} + treasury ${economics.toTreasury}`,
      context,
    );
  if (economics.reimbursement + economics.perObserver * economics.paidObservers > economics.toOperators)
    throw new DevnetError(
      "CHECK_FAILED",
      `epoch ${epoch}: operators were credited more than the fee's operator share ${economics.toOperators}`,
      context,
    );
  return economics;
}
