import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 20-byte hex address");
const uint = z.string().regex(/^(0|[1-9]\d*)$/, "expected a decimal unsigned integer");

/** The epoch-settlement workflow's config (`config.<env>.json`): the single source of its type. */
export const configSchema = z.object({
  /** The DePIN network whose epochs this workflow settles (registry id, decimal). */
  networkId: uint,
  /** When to look for the next epoch to settle (CRE cron, with seconds). */
  schedule: z.string().min(1),
  /**
   * Base URL of this node's own API, which serves agreed results at
   * `GET /v1/networks/{networkId}/epochs/{epoch}`. A node can override it with the secret
   * `VIGIL_NODE_API_URL` (each node reads its own).
   */
  nodeApiUrl: z.string().url(),
  /** CRE chain selector name of the settlement chain (e.g. "anvil-devnet", "ethereum-testnet-sepolia"). */
  chainSelectorName: z.string().min(1),
  /** The `VigilSettlement` contract (the report receiver). */
  settlement: address,
  gasLimit: uint,
});

export type Config = z.infer<typeof configSchema>;
