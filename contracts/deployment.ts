import { readFileSync } from "node:fs";
import type { Address } from "viem";
import { z } from "zod";

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address")
  .transform((v) => v as Address);

/** The deployment file `scripts/deploy` writes (docs/interfaces.md, "Deployment output"). */
export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  token: address,
  forwarder: address,
  registry: address,
  settlement: address,
  consumer: address,
  /** Block the contracts were deployed in: where an indexer starts reading logs. */
  deployBlock: z.number().int().nonnegative().optional(),
  /** Network registered by the deploy script, if it registered one (the consumer reads it). */
  networkId: z.number().int().positive().optional(),
  donId: z.number().int().nonnegative().optional(),
  configVersion: z.number().int().nonnegative().optional(),
  /** Under governance (`--governance`): the TimelockController that owns registry, settlement and forwarder. */
  timelock: address.optional(),
  governor: address.optional(),
  /** May pause registry and settlement, nothing else. */
  guardian: address.optional(),
});

export type Deployment = z.infer<typeof deploymentSchema>;

/** Reads and validates a deployment file; throws a zod error naming the bad field. */
export function loadDeployment(path: string): Deployment {
  return deploymentSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}
