import type { Address, Hex, PublicClient } from "viem";
import { vigilSettlementAbi } from "../../contracts/index";
import type { UptimeSla } from "../agreement/types";

/** The SLA of an epoch and the settled epochs its history is judged on (docs/interfaces.md, "Uptime SLA"). */
export interface UptimeWindow {
  sla: UptimeSla;
  /** The window's epochs that settled with a result (timeouts left out), ascending, with their roots. */
  epochs: { epoch: bigint; resultRoot: Hex }[];
}

/** Settled roots never change: one read per epoch per process, at most this many kept. */
const MAX_CACHED_ROOTS = 20_000;
const ZERO_ROOT = `0x${"00".repeat(32)}`;

/**
 * Reads what the uptime SLA of `epoch` is judged on, pinned at `blockNumber` (the block
 * `readEpochState` pinned: the last before the epoch's end): `uptimeSla(networkId)` and, with
 * `S = nextEpoch(networkId)` there, the `windowEpochs - 1` epochs `[S - windowEpochs + 1, S - 1]`
 * (never `epoch` itself or later). Every node pins the same block, so all judge on the same epochs
 * although settlement may lag: an epoch settled after the pinned block counts from the next epoch on.
 * Returns null when the network has no SLA. A failed read throws: there is no default to settle with.
 */
export async function readUptimeWindow(
  client: PublicClient,
  settlement: Address,
  networkId: bigint,
  epoch: bigint,
  blockNumber: bigint,
  roots: Map<string, Hex> = new Map(),
): Promise<UptimeWindow | null> {
  const read = { address: settlement, abi: vigilSettlementAbi, blockNumber } as const;
  const raw = await client.readContract({ ...read, functionName: "uptimeSla", args: [networkId] });
  if (raw.windowEpochs === 0) return null;
  const sla: UptimeSla = {
    windowEpochs: raw.windowEpochs,
    bonusThresholdBps: raw.bonusThresholdBps,
    bonusBps: raw.bonusBps,
    penaltyThresholdBps: raw.penaltyThresholdBps,
    penaltyBps: raw.penaltyBps,
  };
  const settledUpTo = await client.readContract({ ...read, functionName: "nextEpoch", args: [networkId] });
  const end = settledUpTo < epoch ? settledUpTo : epoch;
  const span = BigInt(sla.windowEpochs - 1);
  const from = end > span ? end - span : 0n;
  const epochs: UptimeWindow["epochs"] = [];
  for (let e = from; e < end; e++) {
    const key = `${networkId}:${e}`;
    let root = roots.get(key);
    if (root === undefined) {
      // Settled before the pinned block, so final: read at that block like the rest.
      const r = await client.readContract({ ...read, functionName: "epochResult", args: [networkId, e] });
      root = r.resultRoot;
      if (roots.size >= MAX_CACHED_ROOTS) roots.delete(roots.keys().next().value as string);
      roots.set(key, root);
    }
    if (root !== ZERO_ROOT) epochs.push({ epoch: e, resultRoot: root });
  }
  return { sla, epochs };
}
