import type { Address, Hex, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../../contracts/portable";
import type { DeviceSlash } from "../source";
import { NotSettledOnChainError, SlashMismatchError } from "./errors";

export interface VerifySlashesOnChainParameters {
  networkId: bigint;
  epoch: bigint;
  /** The slashes the node served for the epoch. */
  slashes: readonly DeviceSlash[];
  /** `totalSlash` the settlement contract stored for the epoch (the sum the report's slashes carry). */
  totalSlash: bigint;
  /** First block to search for the epoch's `EpochSettled` (the settlement contract's deployment block). */
  fromBlock?: bigint;
  node?: string;
}

/** One slash of the settlement report as its transaction's events show it. */
interface ChainSlash {
  deviceId: Hex;
  evidenceHash: Hex;
  /** Set for `DeviceSlashApplied`: what the registry took (at most the report's amount) and the reason. */
  applied?: { amount: bigint; reason: number };
}

const key = (deviceId: Hex, evidenceHash: Hex) => `${deviceId.toLowerCase()}:${evidenceHash.toLowerCase()}`;

/**
 * Checks a served `slashes` list against the chain. The settlement contract stores no slash list,
 * but the transaction that settled the epoch emits one `DeviceSlashApplied` or `DeviceSlashSkipped`
 * per slash of the report, right after `EpochSettled`; those events are the report's list. Each
 * served slash must be one of them (same device and evidence; for an applied one the same reason
 * and an amount at least what was taken), none may be missing, and the served amounts must add up to
 * the stored `totalSlash`. Slashes applied mid-epoch by fraud reports (other transactions) are not
 * part of the result's list and are not required here.
 */
export async function verifySlashesOnChain(
  client: PublicClient,
  settlement: Address,
  params: VerifySlashesOnChainParameters,
): Promise<void> {
  const { networkId, epoch, node } = params;
  const settledLogs = await client.getContractEvents({
    address: settlement,
    abi: vigilSettlementAbi,
    eventName: "EpochSettled",
    args: { networkId, epoch },
    fromBlock: params.fromBlock ?? 0n,
    strict: true,
  });
  const settled = settledLogs[0];
  if (!settled) throw new NotSettledOnChainError(node, networkId, epoch);
  const blockLogs = await client.getContractEvents({
    address: settlement,
    abi: vigilSettlementAbi,
    blockHash: settled.blockHash,
    strict: true,
  });
  const onChain = new Map<string, ChainSlash>();
  for (const log of blockLogs) {
    if (log.transactionHash !== settled.transactionHash || log.logIndex <= settled.logIndex) continue;
    if (log.eventName !== "DeviceSlashApplied" && log.eventName !== "DeviceSlashSkipped") continue;
    if (log.args.networkId !== networkId || log.args.epoch !== epoch) continue;
    onChain.set(key(log.args.deviceId, log.args.evidenceHash), {
      deviceId: log.args.deviceId,
      evidenceHash: log.args.evidenceHash,
      ...(log.eventName === "DeviceSlashApplied"
        ? { applied: { amount: log.args.amount, reason: log.args.reason } }
        : {}),
    });
  }

  const seen = new Set<string>();
  for (const s of params.slashes) {
    const k = key(s.deviceId, s.evidenceHash);
    const chain = onChain.get(k);
    if (!chain || seen.has(k))
      throw new SlashMismatchError(
        node,
        `served slash of device ${s.deviceId} (evidence ${s.evidenceHash}) is not in the settlement of epoch ${epoch}`,
        { deviceId: s.deviceId, evidenceHash: s.evidenceHash, kind: "added" },
      );
    seen.add(k);
    if (chain.applied && chain.applied.reason !== s.reason)
      throw new SlashMismatchError(
        node,
        `slash of device ${s.deviceId} served with reason ${s.reason}, applied on chain with reason ${chain.applied.reason}`,
        { deviceId: s.deviceId, kind: "reason", served: s.reason, onChain: chain.applied.reason },
      );
    if (chain.applied && chain.applied.amount > s.amount)
      throw new SlashMismatchError(
        node,
        `slash of device ${s.deviceId} served as ${s.amount}, but the chain took ${chain.applied.amount}`,
        { deviceId: s.deviceId, kind: "amount", served: s.amount, onChain: chain.applied.amount },
      );
  }
  for (const [k, chain] of onChain)
    if (!seen.has(k))
      throw new SlashMismatchError(
        node,
        `slash of device ${chain.deviceId} (evidence ${chain.evidenceHash}) ${chain.applied ? "applied" : "skipped"} by the settlement of epoch ${epoch} is missing from the served list`,
        { deviceId: chain.deviceId, evidenceHash: chain.evidenceHash, kind: "missing" },
      );
  const sum = params.slashes.reduce((total, s) => total + s.amount, 0n);
  if (sum !== params.totalSlash)
    throw new SlashMismatchError(
      node,
      `served slash amounts add up to ${sum}, the settled totalSlash is ${params.totalSlash}`,
      { kind: "total", served: sum, onChain: params.totalSlash },
    );
}
