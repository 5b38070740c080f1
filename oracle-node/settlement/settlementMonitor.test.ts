import { describe, expect, it } from "vitest";
import { createLogger } from "../logger";
import { createNodeMetrics } from "../metrics";
import { createSettlementMonitor } from "./settlementMonitor";

function setup() {
  const clock = { epoch: 0n, ms: 1_000_000 };
  const lines: { level: string; msg: string; lagEpochs?: number }[] = [];
  const logger = createLogger({
    level: "warn",
    destination: { write: (l: string) => lines.push(JSON.parse(l)) },
  });
  const metrics = createNodeMetrics({ defaultMetrics: false });
  const monitor = createSettlementMonitor(
    { clock: () => ({ epoch: clock.epoch, epochLengthSeconds: 10 }), now: () => clock.ms },
    { logger, metrics },
  );
  const gauge = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.network === "1")?.value;
  return { clock, lines, monitor, gauge };
}

describe("settlement monitor", () => {
  it("follows while at most the epoch just closed is unsettled", async () => {
    const { clock, monitor, gauge, lines } = setup();
    clock.epoch = 5n;
    monitor.settled(1n, 3n);
    monitor.certified(1n, 4n);
    expect(monitor.state(1n)).toMatchObject({ state: "following", lagEpochs: 1n, reason: null });
    expect(await gauge("vigil_settlement_lag_epochs")).toBe(1);
    expect(await gauge("vigil_last_settled_epoch")).toBe(3);
    expect(await gauge("vigil_last_certified_epoch")).toBe(4);
    expect(lines).toEqual([]);
  });

  it("warns once per lag value, catching up while settlement moves, stalled (with why) when it does not", async () => {
    const { clock, monitor, lines } = setup();
    clock.epoch = 6n;
    monitor.settled(1n, 2n);
    expect(monitor.state(1n).state).toBe("catching up");
    monitor.tick(1n);
    expect(lines.filter((l) => l.msg === "settlement lags behind the epoch clock")).toHaveLength(1);
    expect(lines[0]!.lagEpochs).toBe(3);
    // Twenty seconds (two epochs) without a settlement: stalled, and no certified result for epoch 3.
    clock.ms += 20_000;
    expect(monitor.state(1n)).toMatchObject({ state: "stalled", lagEpochs: 3n });
    expect(monitor.state(1n).reason).toMatch(/no certified result for epoch 3/);
    monitor.certified(1n, 4n);
    expect(monitor.state(1n).reason).toMatch(/epoch 3 is certified here but not settled/);
    // A newer settlement (the chain's epoch) brings it back; an older event changes nothing.
    monitor.settled(1n, 5n);
    monitor.settled(1n, 4n);
    expect(monitor.state(1n)).toMatchObject({ state: "following", lastSettledEpoch: 5n, lagEpochs: 0n });
  });

  it("counts every closed epoch as lag when nothing was ever settled", () => {
    const { clock, monitor } = setup();
    clock.epoch = 4n;
    expect(monitor.state(1n)).toMatchObject({ lastSettledEpoch: null, lagEpochs: 4n });
  });
});
