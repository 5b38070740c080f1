import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "../store/index";
import { buildLinesTreeNodes } from "./linesTree";
import type { DeviceLine, EpochResult } from "./types";
import { uptimeHistory } from "./uptimeHistory";

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function open(): Store {
  const dir = mkdtempSync(join(tmpdir(), "vigil-uptime-"));
  dirs.push(dir);
  const s = Store.open({ dataDir: dir });
  stores.push(s);
  return s;
}
const dev = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const sla = {
  windowEpochs: 4,
  bonusThresholdBps: 9_990,
  bonusBps: 1_000,
  penaltyThresholdBps: 9_000,
  penaltyBps: 5_000,
};

/** Stores epoch `epoch` of network 1 with the given uptimes for devices 1.., returns its root. */
function settle(store: Store, epoch: bigint, uptimes: number[]): Hex {
  const lines: DeviceLine[] = uptimes.map((uptimeBps, i) => ({
    networkId: 1n,
    epoch,
    deviceId: dev(i + 1),
    owner: `0x${"0b".repeat(20)}`,
    uptimeBps,
    work: 1n,
    reward: 0n,
    slash: 0n,
  }));
  const tree = buildLinesTreeNodes(lines);
  const result: EpochResult = {
    networkId: 1n,
    epoch,
    resultRoot: tree.root,
    observationsCommitment: `0x${"11".repeat(32)}`,
    deviceCount: lines.length,
    qualifiedCount: lines.length,
    totalReward: 0n,
    totalSlash: 0n,
    slashes: [],
    lines,
    observations: [],
  };
  store.saveResult(result, tree);
  return tree.root;
}

describe("uptimeHistory", () => {
  it("sums each device's uptime over the window's settled epochs, and only those", () => {
    const store = open();
    settle(store, 0n, [1, 1, 1]); // before the window: not counted
    const r1 = settle(store, 1n, [10_000, 9_000, 5_000]);
    const r3 = settle(store, 3n, [10_000, 8_000]); // device 3 gone; epoch 2 timed out
    const h = uptimeHistory(store, 1n, {
      sla,
      epochs: [
        { epoch: 1n, resultRoot: r1 },
        { epoch: 3n, resultRoot: r3 },
      ],
    });
    expect(h.epochs).toEqual([1n, 3n]);
    expect(h.devices.get(dev(1))).toEqual({ sumBps: 20_000, lines: 2 });
    expect(h.devices.get(dev(2))).toEqual({ sumBps: 17_000, lines: 2 });
    expect(h.devices.get(dev(3))).toEqual({ sumBps: 5_000, lines: 1 });
  });

  it("refuses a history it does not hold, or holds under another root than the chain settled, naming the epochs", () => {
    const store = open();
    const r1 = settle(store, 1n, [10_000]);
    settle(store, 2n, [10_000]); // this node's own result, not the one the chain took
    const window = {
      sla,
      epochs: [
        { epoch: 1n, resultRoot: r1 },
        { epoch: 2n, resultRoot: `0x${"ab".repeat(32)}` as Hex },
        { epoch: 3n, resultRoot: `0x${"cd".repeat(32)}` as Hex },
      ],
    };
    expect(() => uptimeHistory(store, 1n, window)).toThrow(
      expect.objectContaining({
        code: "AGREEMENT_HISTORY_MISSING",
        context: { networkId: 1n, missing: [2n, 3n] },
      }),
    );
  });
});
