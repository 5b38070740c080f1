import { availableParallelism } from "node:os";
import { z } from "zod";

/**
 * Devnet options, validated once where they enter (CLI flags or a test). Defaults are the
 * newcomer's `npm start`: 4 nodes (n = 3f + 1 with f = 1), 200 devices, epochs until Ctrl-C.
 */
export const devnetOptionsSchema = z
  .object({
    /** Epochs to run; omitted: run until stopped. */
    epochs: z.number().int().positive().max(10_000).optional(),
    /**
     * Sized for the machine: 20 simulated devices per core, at least 40. Nodes, fleet and chains
     * share the cores: on 2 cores 40 devices met every verdict target in every scored epoch (26 of
     * 26 honest paid), 80 paid 61 of 61 in some epochs and under half in others, and 200 left the
     * fleet's answers behind their deadlines (0-1 honest devices paid an epoch).
     */
    devices: z
      .number()
      .int()
      .min(1)
      .max(5_000)
      .default(Math.max(40, 20 * availableParallelism())),
    nodes: z.number().int().min(4).max(16).default(4),
    /**
     * Wall-clock length of one epoch. Nodes challenge each device about three times an epoch, so
     * the challenge load grows as epochs shrink: with the default 200 devices on 2 cores, 10 s
     * epochs left almost every answer late (0 devices rewarded), 30 s ones rewarded 70-130 a epoch.
     */
    epochSeconds: z.number().int().min(1).max(3_600).default(30),
    /**
     * Seconds the oracle nodes and the device fleet may take to come up. The devnet waits as long as
     * they make progress (output or CPU time) up to this bound, and gives up sooner on a process that
     * made none for `STARTUP_STALL_SECONDS`. Starting 4 nodes took 28-40 s on 2 busy cores; a
     * machine under more load takes several times that.
     */
    startupTimeout: z.number().int().min(1).max(86_400).default(900),
    /**
     * The fleet's strategies besides honest: those whose verdict targets hold today, or every one
     * (attacks still open fail the run's summary; docs/attestation.md lists them).
     */
    strategies: z.enum(["defended", "all"]).default("defended"),
    /** Exit after the last epoch with a JSON summary (needs `epochs`). */
    exit: z.boolean().default(false),
    fresh: z.boolean().default(false),
    resume: z.boolean().default(false),
    dataDir: z.string().min(1).default(".vigil/devnet"),
    /** Dashboard port on 127.0.0.1; 0 picks a free one. */
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(8545 + 1000),
  })
  .refine((o) => !(o.fresh && o.resume), { message: "--fresh and --resume exclude each other" })
  .refine((o) => !o.exit || o.epochs !== undefined, { message: "--exit needs --epochs N" });

export type DevnetOptions = z.output<typeof devnetOptionsSchema>;
export type DevnetOptionsInput = z.input<typeof devnetOptionsSchema>;

/**
 * A starting process that neither wrote a byte nor used any CPU time for this long is stuck, not
 * slow: even on 2 busy cores a starting node gets CPU every few seconds.
 */
export const STARTUP_STALL_SECONDS = 120;

/** Tolerated faulty nodes for `n` nodes (n >= 3f + 1). */
export function faultTolerance(nodes: number): number {
  return Math.floor((nodes - 1) / 3);
}
