import type { Address } from "viem";

export interface ChainViewOptions {
  /** The registry followed by its events. */
  registry: Address;
  /** The settlement contract: beacon and last settled epoch, re-read on its `EpochSettled`/`EpochTimedOut`. */
  settlement: Address;
  /** Networks this node serves; events of any other network are skipped. */
  networks: readonly bigint[];
  /** Devnet overrides of the on-chain epoch timing (config `epoch.*`), applied to every network read. */
  epoch?: { lengthSeconds?: number; genesisTime?: bigint };
  /** An account whose native balance is exported (`vigil_signer_balance_wei`): the node's signer. */
  balanceOf?: Address;
  /**
   * How often the head is polled and new registry logs applied. A tick costs one `eth_blockNumber`,
   * plus one `eth_getLogs` and the re-reads of what the logs touched when the head moved.
   */
  pollIntervalMs: number;
  /**
   * Most blocks one `eth_getLogs` asks for. Hosted RPCs cap log ranges (commonly 1,000 to 10,000
   * blocks); 1,000 fits the strict ones. A refused range is halved on the next try, down to one block.
   */
  maxBlockRange: number;
  /**
   * Blocks behind the head that are left unapplied, so a reorg of the newest blocks is never followed
   * (0 on anvil and on chains with instant finality).
   */
  confirmations: number;
  /**
   * A full re-read of everything at this interval: the backstop against a reorg deeper than
   * `confirmations` or an RPC that lost a log. 10 minutes keeps it rare (a 10,000-device network is
   * ~40 paged reads) while bounding how long such a miss can last. 0 turns it off.
   */
  fullResyncMs: number;
  /** Re-reads (one per touched device) run this many at a time. */
  readConcurrency: number;
}

export const defaultChainViewOptions: Omit<ChainViewOptions, "registry" | "settlement" | "networks"> = {
  pollIntervalMs: 2_000,
  maxBlockRange: 1_000,
  confirmations: 0,
  fullResyncMs: 10 * 60_000,
  readConcurrency: 16,
};
