export type ChainViewErrorCode =
  /** `eth_blockNumber` failed; nothing was applied this tick. */
  | "CHAIN_VIEW_HEAD_FAILED"
  /** `eth_getLogs` over a block range failed; the range is tried again (halved) on the next tick. */
  | "CHAIN_VIEW_LOGS_FAILED"
  /** A re-read of what a range's logs touched failed; the whole range is applied again on the next tick. */
  | "CHAIN_VIEW_READ_FAILED"
  /** A full read of the registry and settlement state after the start (`resync()`) failed; the state is kept. */
  | "CHAIN_VIEW_FULL_READ_FAILED"
  /** Asked to follow (`poll()`) before `start()` read the chain. */
  | "CHAIN_VIEW_NOT_RUNNING";

export class ChainViewError extends Error {
  override readonly name = "ChainViewError";
  constructor(
    readonly code: ChainViewErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
