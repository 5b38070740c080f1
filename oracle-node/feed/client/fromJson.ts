import type { Address, Hex } from "viem";
import type { DeviceLine } from "../../../contracts/portable";
import type { DeviceLineJson, EpochResultJson } from "../responseSchemas";
import type { EpochResult } from "../source";

export function deviceLineFromJson(l: DeviceLineJson): DeviceLine {
  return {
    networkId: BigInt(l.networkId),
    epoch: BigInt(l.epoch),
    deviceId: l.deviceId as Hex,
    owner: l.owner as Address,
    uptimeBps: l.uptimeBps,
    work: BigInt(l.work),
    reward: BigInt(l.reward),
    slash: BigInt(l.slash),
  };
}

/** A result as served with an epoch, or as the header of a line proof (without slashes and observations). */
type ResultJson = Omit<EpochResultJson, "slashes" | "observations"> &
  Partial<Pick<EpochResultJson, "slashes" | "observations">>;

export function epochResultFromJson(r: ResultJson): EpochResult {
  return {
    networkId: BigInt(r.networkId),
    epoch: BigInt(r.epoch),
    resultRoot: r.resultRoot as Hex,
    observationsCommitment: r.observationsCommitment as Hex,
    deviceCount: r.deviceCount,
    qualifiedCount: r.qualifiedCount,
    totalReward: BigInt(r.totalReward),
    totalSlash: BigInt(r.totalSlash),
    slashes: (r.slashes ?? []).map((s) => ({
      deviceId: s.deviceId as Hex,
      amount: BigInt(s.amount),
      reason: s.reason,
      evidenceHash: s.evidenceHash as Hex,
    })),
    observations: (r.observations ?? []).map((o) => ({
      observer: o.observer as Address,
      hash: o.hash as Hex,
    })),
    votes: r.votes.map((v) => ({ signer: v.signer as Address, signature: v.signature as Hex })),
    settled: r.settled,
  };
}
