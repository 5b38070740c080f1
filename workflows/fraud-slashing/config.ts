import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address");
const uint = z.string().regex(/^(0|[1-9]\d*)$/, "expected a decimal unsigned integer");

/** The fraud-slashing workflow's config (`config.<env>.json`): the single source of its type. */
export const configSchema = z.object({
  /** The DePIN network whose devices this workflow slashes (registry id, decimal). */
  networkId: uint,
  /** Amount slashed per proven fraud (token base units); the registry takes at most the device's stake. */
  slashAmount: uint,
  /** EVM addresses allowed to fire the HTTP trigger (CRE's gateway checks the request signature). */
  authorizedKeys: z.array(address),
  chainSelectorName: z.string().min(1),
  /** The `VigilSettlement` contract (the report receiver, and the epochs' beacons). */
  settlement: address,
  /**
   * The `VigilRegistry` the settlement slashes through: the network's timing and `k`, and the
   * operators whose assignment decides who may produce evidence.
   */
  registry: address,
  gasLimit: uint,
});

export type Config = z.infer<typeof configSchema>;

/** The HTTP trigger's body: one evidence bundle in the attestation library's canonical bytes. */
export const requestSchema = z.object({
  evidence: z.string().regex(/^0x([0-9a-fA-F]{2})+$/, "expected the evidence bundle as 0x-prefixed hex"),
});
