import { readFileSync, writeFileSync } from "node:fs";
import { type Address, getAddress, isAddress } from "viem";
import { z } from "zod";
import { BridgeError } from "../errors.js";

const address = z
  .string()
  .refine((value) => isAddress(value, { strict: false }), "not an address")
  .transform((value) => getAddress(value) as Address);
const uint64 = z.union([z.string(), z.number(), z.bigint()]).transform((value, ctx) => {
  try {
    const n = BigInt(value);
    if (n >= 0n && n < 2n ** 64n) return n;
  } catch {}
  ctx.addIssue({ code: "custom", message: "not a uint64" });
  return z.NEVER;
});

/** One chain of the local lane: where it is and what the lane deployed there. */
export const laneChainSchema = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/, "lower-case letters, digits and dashes"),
  chainId: z.number().int().positive(),
  rpcUrl: z.string().url(),
  chainSelector: uint64,
  token: address,
  pool: address,
  router: address,
  onRamp: address,
  offRamp: address,
  rmn: address,
  tokenAdminRegistry: address,
  registryModule: address,
  /** Block of the first lane deployment: scans for messages start here. */
  deployBlock: uint64,
});
export type LaneChain = z.output<typeof laneChainSchema>;

export const laneConfigSchema = z
  .object({ chains: z.tuple([laneChainSchema, laneChainSchema]) })
  .refine((c) => c.chains[0].chainSelector !== c.chains[1].chainSelector, "chain selectors must differ")
  .refine((c) => c.chains[0].name !== c.chains[1].name, "chain names must differ");
export type LaneConfig = z.output<typeof laneConfigSchema>;

/** Parses a lane config (as written by `writeLaneConfig`); a bad file is a typed `CONFIG` error. */
export function parseLaneConfig(input: unknown): LaneConfig {
  const parsed = laneConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new BridgeError("CONFIG", "invalid lane config", { details: z.prettifyError(parsed.error) });
  }
  return parsed.data;
}

export function readLaneConfig(path: string): LaneConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new BridgeError("CONFIG", `cannot read lane config ${path}`, { cause });
  }
  return parseLaneConfig(json);
}

export function writeLaneConfig(path: string, config: LaneConfig): void {
  writeFileSync(path, `${JSON.stringify(config, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
}

/** The chain called `name` (or with that chain selector), and the other one. */
export function laneEnds(config: LaneConfig, name: string): { chain: LaneChain; other: LaneChain } {
  const index = config.chains.findIndex((c) => c.name === name || c.chainSelector.toString() === name);
  if (index < 0) {
    throw new BridgeError("UNSUPPORTED_CHAIN", `unknown chain "${name}"`, {
      details: `the lane connects ${config.chains.map((c) => c.name).join(" and ")}`,
    });
  }
  return { chain: config.chains[index] as LaneChain, other: config.chains[1 - index] as LaneChain };
}
