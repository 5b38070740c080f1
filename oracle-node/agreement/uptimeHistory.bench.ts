// `npm run bench -- uptime-history [--devices D] [--window W]`: what the uptime SLA adds to each
// epoch's result on a node (docs/interfaces.md, "Uptime SLA"): the history read of `W - 1` settled
// epochs of D devices from the SQLite store (`uptimeHistory`: one root check per epoch and one
// aggregate), next to the baseline of writing one epoch's rows as the agreement does, in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchScenario } from "../../scripts/bench/scenario";
import { createEpochWriter } from "../store/fixture";
import { Store } from "../store/index";
import { uptimeHistory } from "./uptimeHistory";

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 2) throw new Error(`--${name} must be an integer of at least 2`);
  return value;
}

const round = (x: number) => Number(x.toFixed(2));

export const scenario: BenchScenario = {
  name: "uptime-history",
  description:
    "the uptime SLA's history read per epoch (W - 1 settled epochs of D devices) against writing one epoch",
  async run(args) {
    const devices = flag(args, "devices", 1000);
    const window = flag(args, "window", 168);
    const writer = await createEpochWriter({ devices });
    const dir = mkdtempSync(join(tmpdir(), "vigil-uptime-bench-"));
    const store = Store.open({ dataDir: dir });
    try {
      let writeMs = 0;
      for (let e = 0n; e < BigInt(window - 1); e++) {
        const t = performance.now();
        writer.writeEpoch(store, 1n, e);
        writeMs += performance.now() - t;
      }
      const epochs = Array.from({ length: window - 1 }, (_, i) => {
        const epoch = BigInt(i);
        return { epoch, resultRoot: store.getEpochResult(1n, epoch)!.resultRoot };
      });
      const sla = {
        windowEpochs: window,
        bonusThresholdBps: 9_990,
        bonusBps: 400,
        penaltyThresholdBps: 5_000,
        penaltyBps: 5_000,
      };
      const runs: number[] = [];
      let held = 0;
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        held = uptimeHistory(store, 1n, { sla, epochs }).devices.size;
        runs.push(performance.now() - t);
      }
      if (held !== devices) throw new Error(`history covers ${held} devices, not ${devices}`);
      const historyMs = runs.sort((a, b) => a - b)[2]!;
      const writeMsPerEpoch = writeMs / (window - 1);
      return {
        devices,
        windowEpochs: window,
        historyMs: round(historyMs),
        writeMsPerEpoch: round(writeMsPerEpoch),
        historyOverWrite: round(historyMs / writeMsPerEpoch),
      };
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
