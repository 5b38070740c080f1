import type {
  DeviceHistoryItem,
  DeviceLine,
  DeviceLineProof,
  EpochResult,
  EpochSummary,
  ExportedLine,
  ResultVoteSignature,
} from "./source";

// Bigints travel as decimal strings: JSON numbers lose precision past 2^53.

export function deviceLineToJson(line: DeviceLine) {
  return {
    networkId: line.networkId.toString(),
    epoch: line.epoch.toString(),
    deviceId: line.deviceId,
    owner: line.owner,
    uptimeBps: line.uptimeBps,
    work: line.work.toString(),
    reward: line.reward.toString(),
    slash: line.slash.toString(),
  };
}

/** A row of an export: the line without networkId and epoch (the header's), with its leaf position. */
export function exportRowToJson({ line, treeIndex }: ExportedLine) {
  return {
    treeIndex,
    deviceId: line.deviceId,
    owner: line.owner,
    uptimeBps: line.uptimeBps,
    work: line.work.toString(),
    reward: line.reward.toString(),
    slash: line.slash.toString(),
  };
}

export function epochSummaryToJson(s: EpochSummary) {
  return {
    networkId: s.networkId.toString(),
    epoch: s.epoch.toString(),
    resultRoot: s.resultRoot,
    deviceCount: s.deviceCount,
    qualifiedCount: s.qualifiedCount,
    totalReward: s.totalReward.toString(),
    totalSlash: s.totalSlash.toString(),
    settled: s.settled,
  };
}

const votesToJson = (votes: ResultVoteSignature[]) =>
  votes.map((v) => ({ signer: v.signer, signature: v.signature }));

export function epochResultToJson(r: EpochResult) {
  return {
    ...epochSummaryToJson(r),
    observationsCommitment: r.observationsCommitment,
    slashes: r.slashes.map((s) => ({
      deviceId: s.deviceId,
      amount: s.amount.toString(),
      reason: s.reason,
      evidenceHash: s.evidenceHash,
    })),
    observations: r.observations.map((o) => ({ observer: o.observer, hash: o.hash })),
    votes: votesToJson(r.votes),
  };
}

export function deviceLineProofToJson(p: DeviceLineProof) {
  return {
    line: deviceLineToJson(p.line),
    leaf: p.leaf,
    proof: p.proof,
    result: {
      ...epochSummaryToJson(p.result),
      observationsCommitment: p.result.observationsCommitment,
      votes: votesToJson(p.result.votes),
    },
  };
}

export function historyItemToJson(item: DeviceHistoryItem) {
  return {
    line: deviceLineToJson(item.line),
    leaf: item.leaf,
    proof: item.proof,
    resultRoot: item.resultRoot,
    settled: item.settled,
  };
}
