// Adapter from gossipsub's MetricsRegister to prom-client, so mesh, scoring and validation metrics
// of @libp2p/gossipsub land in the node's registry next to libp2p's own.
import type { MetricsRegister } from "@libp2p/gossipsub/metrics";
import { Gauge, Histogram, type Registry } from "prom-client";

type Labels = Record<string, string | number>;
type Config = { name: string; help: string; labelNames?: string[]; buckets?: number[] };

export function createGossipsubMetricsRegister(registry: Registry): MetricsRegister {
  const gauge = (config: Config) => {
    const collectors: ((g: unknown) => void)[] = [];
    let wrapper: unknown;
    const g = new Gauge({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames ?? [],
      registers: [registry],
      collect() {
        for (const c of collectors) c(wrapper);
      },
    });
    wrapper = {
      inc: (a?: Labels | number, b?: number) => (typeof a === "object" ? g.inc(a, b ?? 1) : g.inc(a ?? 1)),
      set: (a: Labels | number, b?: number) => (typeof a === "object" ? g.set(a, b ?? 0) : g.set(a)),
      addCollect: (fn: (g: unknown) => void) => collectors.push(fn),
    };
    return wrapper;
  };
  const register = {
    gauge,
    histogram: (config: Config) => {
      const h = new Histogram({
        name: config.name,
        help: config.help,
        labelNames: config.labelNames ?? [],
        buckets: config.buckets,
        registers: [registry],
      });
      return {
        startTimer: () => h.startTimer(),
        observe: (a: Labels | number, b?: number) =>
          typeof a === "object" ? h.observe(a, b ?? 0) : h.observe(a),
        reset: () => h.reset(),
      };
    },
    avgMinMax: (config: Config) => {
      const stat = (suffix: string) =>
        new Gauge({
          name: `${config.name}_${suffix}`,
          help: `${config.help} (${suffix})`,
          labelNames: config.labelNames ?? [],
          registers: [registry],
        });
      const [avg, min, max] = [stat("avg"), stat("min"), stat("max")];
      const setAll = (labels: Labels, values: number[]) => {
        if (values.length === 0) return;
        avg.set(labels, values.reduce((s, v) => s + v, 0) / values.length);
        min.set(labels, Math.min(...values));
        max.set(labels, Math.max(...values));
      };
      return {
        set: (a: Labels | number[], b?: number[]) => (Array.isArray(a) ? setAll({}, a) : setAll(a, b ?? [])),
      };
    },
  };
  // The library's conditional label types cannot be expressed for a generic adapter.
  return register as unknown as MetricsRegister;
}
