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
  UptimeSla,
} from "./types";

export interface UsedObservation {
  observation: ObservationSet;
  hash: Hex;
}

export interface ComputedResult {
  result: EpochResult;
  tree: LinesTreeNodes;
  /** What the uptime SLA did this epoch (not part of the root: the lines' rewards carry it). */
  sla: SlaOutcome;
}

export interface SlaOutcome {
  /** Devices paid their share of the bonus pool, and what that came to. */
  bonused: number;
  bonusPaid: bigint;
  /** Devices whose base reward was cut, and by how much in all (it stays in the network's budget). */
  penalized: number;
  withheld: bigint;
}

/** keccak256 over (observer address || observation hash) for each observation used, sorted by observer. */
export function observationsCommitment(used: readonly { observer: Address; hash: Hex }[]): Hex {
  const sorted = [...used].sort((a, b) => cmp(a.observer.toLowerCase(), b.observer.toLowerCase()));
  return keccak256(concatHex(sorted.flatMap((u) => [u.observer.toLowerCase() as Hex, u.hash])));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const U64_MAX = (1n << 64n) - 1n;

/**
 * Lower median of m entries: at least floor(m/2)+1 entries are >= it, so with m >= 2 one liar cannot
 * raise it above every honest entry; with m >= 3 it cannot lower it below every honest entry either.
 */
function lowerMedian<T extends Uint16Array | BigUint64Array>(values: T): T[number] {
  values.sort();
  return values[Math.floor((values.length - 1) / 2)]!;
}

const BPS = 10_000n;

/**
 * A device's standing under the SLA: its mean uptime over this epoch and its lines in the history
 * (`(Σ history + this epoch) / (lines + 1)`, compared exactly in integers). The bonus needs a full
 * window, a line in each of the `windowEpochs - 1` history epochs; the penalty needs none, so a new
 * device is judged on what it has.
 */
export function judgeUptime(
  sla: UptimeSla,
  history: { sumBps: number; lines: number } | undefined,
  uptimeBps: number,
): { bonus: boolean; penalized: boolean } {
  const lines = history?.lines ?? 0;
  const total = (history?.sumBps ?? 0) + uptimeBps;
  const count = lines + 1;
  return {
    bonus: lines >= sla.windowEpochs - 1 && total >= sla.bonusThresholdBps * count,
    penalized: total < sla.penaltyThresholdBps * count,
  };
}

/** Entries a device needs in S for its values to count: a majority of the observers assigned to it. */
export function observersNeeded(assigned: number): number {
  return Math.floor(assigned / 2) + 1;
}

/**
 * The deterministic epoch result (docs/protocol.md, "Result function"). Same context and observation
 * set give the same result on every node. Only entries by an observer assigned to the device count,
 * and only when a majority of its assigned observers have one; otherwise it gets uptime 0 and work 0.
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
  // Observers in address order: that order fixes which fraud verdict is tried first, so evidence
  // hashes are deterministic. Per-device state lives in flat typed arrays indexed by device slot
  // (100k devices x 16 observers is 300k entries: objects and string sets per device cost seconds).
  const ordered = [...used].sort((a, b) =>
    cmp(a.observation.observer.toLowerCase(), b.observation.observer.toLowerCase()),
  );
  const observerSlot = new Map<string, number>();
  ordered.forEach((u, i) => {
    observerSlot.set(u.observation.observer, i);
    observerSlot.set(u.observation.observer.toLowerCase(), i);
  });
  const devices = ctx.devices
    .map((dev) => ({ dev, id: dev.deviceId.toLowerCase() as Hex }))
    .sort((a, b) => cmp(a.id, b.id));
  const slotOf = new Map<string, number>();
  for (const { id } of devices) if (!slotOf.has(id)) slotOf.set(id, slotOf.size);
  const slots = slotOf.size;
  let k = 1;
  for (const signers of ctx.assignment.values()) k = Math.max(k, signers.length);
  // assignedTo[slot * k + j]: observer index of the j-th assigned signer, -1 when none or not an observer.
  const assignedTo = new Int32Array(slots * k).fill(-1);
  // How many observers the assignment gives each device (its k, fewer when the network has fewer nodes).
  const assignedCount = new Uint32Array(slots);
  for (const [id, signers] of ctx.assignment) {
    const slot = slotOf.get(id) ?? slotOf.get(id.toLowerCase());
    if (slot === undefined) continue;
    assignedCount[slot] = new Set(signers.map((s) => s.toLowerCase())).size;
    assignedTo.fill(-1, slot * k, slot * k + k);
    signers.forEach((s, j) => {
      assignedTo[slot * k + j] = observerSlot.get(s) ?? observerSlot.get(s.toLowerCase()) ?? -1;
    });
  }
  const counts = new Uint32Array(slots);
  const uptimes = new Uint16Array(slots * k);
  const works = new BigUint64Array(slots * k);
  const lastObserver = new Int32Array(slots).fill(-1);
  const frauds = new Map<number, FraudVerdict[]>();
  ordered.forEach(({ observation }, o) => {
    for (const d of observation.devices) {
      const slot = slotOf.get(d.deviceId) ?? slotOf.get(d.deviceId.toLowerCase());
      if (slot === undefined) continue;
      if (lastObserver[slot] === o)
        throw new AgreementError("AGREEMENT_BAD_OBSERVATION", "a device listed twice in one observation", {
          observer: observation.observer,
          deviceId: d.deviceId,
        });
      lastObserver[slot] = o;
      let assigned = false;
      for (let j = 0; j < k; j++) if (assignedTo[slot * k + j] === o) assigned = true;
      if (!assigned) continue;
      if (
        d.work < 0n ||
        d.work > U64_MAX ||
        !(Number.isInteger(d.uptimeBps) && d.uptimeBps >= 0 && d.uptimeBps <= 10_000)
      )
        throw new AgreementError("AGREEMENT_BAD_OBSERVATION", "uptime or work out of range", {
          observer: observation.observer,
          deviceId: d.deviceId,
        });
      const at = slot * k + counts[slot]!++;
      uptimes[at] = d.uptimeBps;
      works[at] = d.work;
      if (d.fraud) {
        const list = frauds.get(slot) ?? [];
        list.push(d.fraud);
        frauds.set(slot, list);
      }
    }
  });

  const lines: DeviceLine[] = [];
  const slashes: DeviceSlash[] = [];
  const weights: bigint[] = [];
  let totalWeight = 0n;
  for (const { dev, id } of devices) {
    const slot = slotOf.get(id)!;
    const c = counts[slot]!;
    // Fewer than a majority of its observers: what is there may be one liar's word alone.
    const counted = c > 0 && c >= observersNeeded(assignedCount[slot]!);
    const uptimeBps = counted ? lowerMedian(uptimes.subarray(slot * k, slot * k + c)) : 0;
    const work = counted ? lowerMedian(works.subarray(slot * k, slot * k + c)) : 0n;
    let slash: DeviceSlash | undefined;
    for (const f of frauds.get(slot) ?? []) {
      if (await verifyFraud(ctx, id, f)) {
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
  // The epoch pays `budget × qualified / eligible`, split by weight among the qualified; the rest
  // stays in the network's budget (docs/protocol.md, "Result function"). Threat: with the whole
  // budget always split, a device earned more whenever others missed, so knocking competitors
  // offline (or an epoch where most devices failed) paid the survivors far above their work: one
  // device was paid a 26-device budget alone. Now a device's pay does not grow when others drop out.
  const eligible = devices.reduce((n, { dev }) => (dev.stake > 0n ? n + 1n : n), 0n);
  const qualified = weights.reduce((n, w) => (w > 0n ? n + 1n : n), 0n);
  const sla = ctx.uptime && ctx.uptime.sla.windowEpochs > 0 ? ctx.uptime : undefined;
  // Uptime SLA (docs/interfaces.md, "Uptime SLA"): `bonusBps` of the budget is a bonus pool, shared
  // by the same rule as the rest but only among devices at or above the bonus threshold over a full
  // window; below the penalty threshold the base reward is cut and the cut stays in the budget.
  // Threat: history is what a device cannot fake here: it is the settled lines (checked against the
  // chain's roots by the caller), never an observer's or the device's word.
  const pool = sla ? (ctx.budget * BigInt(sla.sla.bonusBps)) / BPS : 0n;
  const base = ctx.budget - pool;
  const outcome: SlaOutcome = { bonused: 0, bonusPaid: 0n, penalized: 0, withheld: 0n };
  let totalReward = 0n;
  if (totalWeight > 0n)
    lines.forEach((l, i) => {
      const share = (amount: bigint) => (amount * qualified * weights[i]!) / (eligible * totalWeight);
      l.reward = share(base);
      if (sla && weights[i]! > 0n) {
        const judged = judgeUptime(sla.sla, sla.history.devices.get(l.deviceId), l.uptimeBps);
        if (judged.penalized) {
          const cut = (l.reward * BigInt(sla.sla.penaltyBps)) / BPS;
          l.reward -= cut;
          outcome.penalized++;
          outcome.withheld += cut;
        }
        if (judged.bonus) {
          const bonus = share(pool);
          l.reward += bonus;
          outcome.bonused++;
          outcome.bonusPaid += bonus;
        }
      }
      totalReward += l.reward;
    });
  const totalSlash = slashes.reduce((s, x) => s + x.amount, 0n);
  const tree = buildLinesTreeNodes(lines);
  const obsList = ordered.map((u) => ({ observer: u.observation.observer, hash: u.hash }));
  return {
    tree,
    sla: outcome,
    result: {
      networkId: ctx.networkId,
      epoch: ctx.epoch,
      resultRoot: tree.root,
      observationsCommitment: observationsCommitment(obsList),
      deviceCount: lines.length,
      qualifiedCount: Number(qualified),
      totalReward,
      totalSlash,
      slashes,
      lines,
      observations: obsList,
    },
  };
}
