import { type Address, concatHex, type Hex, keccak256 } from "viem";
import { AgreementError } from "./errors";
import { buildLinesTreeNodes, type LinesTreeNodes } from "./linesTree";
import type {
  DeviceLine,
  DeviceSlash,
  EpochContext,
  EpochResult,
  FraudEvidenceVerifier,
  FraudVerdict,
  ObservationSet,
} from "./types";

export interface UsedObservation {
  observation: ObservationSet;
  hash: Hex;
}

export interface ComputedResult {
  result: EpochResult;
  tree: LinesTreeNodes;
}

/** keccak256 over (observer address || observation hash) for each observation used, sorted by observer. */
export function observationsCommitment(used: readonly { observer: Address; hash: Hex }[]): Hex {
  const sorted = [...used].sort((a, b) => cmp(a.observer.toLowerCase(), b.observer.toLowerCase()));
  return keccak256(concatHex(sorted.flatMap((u) => [u.observer.toLowerCase() as Hex, u.hash])));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Lower median: with at most f liars among an honest majority of observers it stays within honest values. */
function median<T extends number | bigint>(values: T[]): T {
  values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return values[Math.floor((values.length - 1) / 2)]!;
}

/**
 * The deterministic epoch result (docs/protocol.md, "Result function"). Same context and observation
 * set give the same result on every node. Only entries by an observer assigned to the device count;
 * devices nobody reported get uptime 0 and work 0.
 */
export async function computeResult(
  ctx: EpochContext,
  used: readonly UsedObservation[],
  verifyFraud: FraudEvidenceVerifier,
): Promise<ComputedResult> {
  const observers = new Set<string>();
  for (const u of used) {
    const o = u.observation;
    if (o.networkId !== ctx.networkId || o.epoch !== ctx.epoch)
      throw new AgreementError("AGREEMENT_BAD_OBSERVATION", "observation of another epoch", {
        observer: o.observer,
      });
    const key = o.observer.toLowerCase();
    if (observers.has(key))
      throw new AgreementError("AGREEMENT_BAD_OBSERVATION", "two observations of one observer", {
        observer: key,
      });
    observers.add(key);
  }
  const assigned = new Map<string, Set<string>>();
  for (const [id, signers] of ctx.assignment)
    assigned.set(id.toLowerCase(), new Set(signers.map((s) => s.toLowerCase())));

  const perDevice = new Map<string, { uptimes: number[]; works: bigint[]; frauds: FraudVerdict[] }>();
  // Observer order fixes which fraud verdict is tried first, so evidence hashes are deterministic.
  const ordered = [...used].sort((a, b) =>
    cmp(a.observation.observer.toLowerCase(), b.observation.observer.toLowerCase()),
  );
  for (const { observation } of ordered) {
    const observer = observation.observer.toLowerCase();
    for (const d of observation.devices) {
      const id = d.deviceId.toLowerCase();
      if (!assigned.get(id)?.has(observer)) continue;
      let acc = perDevice.get(id);
      if (!acc) {
        acc = { uptimes: [], works: [], frauds: [] };
        perDevice.set(id, acc);
      }
      acc.uptimes.push(d.uptimeBps);
      acc.works.push(d.work);
      if (d.fraud) acc.frauds.push(d.fraud);
    }
  }

  const devices = [...ctx.devices].sort((a, b) => cmp(a.deviceId.toLowerCase(), b.deviceId.toLowerCase()));
  const lines: DeviceLine[] = [];
  const slashes: DeviceSlash[] = [];
  const weights: bigint[] = [];
  let totalWeight = 0n;
  for (const dev of devices) {
    const id = dev.deviceId.toLowerCase() as Hex;
    const acc = perDevice.get(id);
    const uptimeBps = acc ? median(acc.uptimes) : 0;
    const work = acc ? median(acc.works) : 0n;
    let slash: DeviceSlash | undefined;
    for (const f of acc?.frauds ?? []) {
      if (await verifyFraud(id, f)) {
        slash = { deviceId: id, amount: dev.stake, reason: f.reason, evidenceHash: keccak256(f.evidence) };
        break;
      }
    }
    const slashedOnChain = dev.slashedInEpoch ?? 0n;
    // Nothing at stake (slashed to zero in an earlier epoch): nothing to lose, so nothing earned.
    const weight = slash || slashedOnChain > 0n || dev.stake === 0n ? 0n : work * BigInt(uptimeBps);
    weights.push(weight);
    totalWeight += weight;
    if (slash) slashes.push(slash);
    lines.push({
      networkId: ctx.networkId,
      epoch: ctx.epoch,
      deviceId: id,
      owner: dev.owner,
      uptimeBps,
      work,
      reward: 0n,
      // A slash applied mid-epoch is already on chain with its evidence: shown, not applied again.
      slash: slash?.amount ?? slashedOnChain,
    });
  }
  let totalReward = 0n;
  if (totalWeight > 0n)
    lines.forEach((l, i) => {
      l.reward = (ctx.budget * weights[i]!) / totalWeight;
      totalReward += l.reward;
    });
  const totalSlash = slashes.reduce((s, x) => s + x.amount, 0n);
  const tree = buildLinesTreeNodes(lines);
  const obsList = ordered.map((u) => ({ observer: u.observation.observer, hash: u.hash }));
  return {
    tree,
    result: {
      networkId: ctx.networkId,
      epoch: ctx.epoch,
      resultRoot: tree.root,
      observationsCommitment: observationsCommitment(obsList),
      deviceCount: lines.length,
      totalReward,
      totalSlash,
      slashes,
      lines,
      observations: obsList,
    },
  };
}
