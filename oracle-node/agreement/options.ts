export interface AgreementOptions {
  /**
   * Propose timeout of view v is `proposeTimeoutMs + v * timeoutDeltaMs`; it covers collecting 2f+1
   * observations after epoch close and computing the result. Growing timeouts give liveness after GST.
   */
  proposeTimeoutMs: number;
  /** Prevote and precommit timeouts of view v: `stepTimeoutMs + v * timeoutDeltaMs`. */
  stepTimeoutMs: number;
  timeoutDeltaMs: number;
  /**
   * After it holds 2f+1 observations, a leader waits up to this long for the rest so that results
   * use every node's observation when all are on time.
   */
  observationGraceMs: number;
  /** Our messages of the running epoch are re-gossiped at this interval (gossip gives no delivery guarantee). */
  rebroadcastMs: number;
  /** Epochs further than this from the newest started one are ignored on gossip. */
  epochWindow: number;
}

export const defaultAgreementOptions: AgreementOptions = {
  proposeTimeoutMs: 10_000,
  stepTimeoutMs: 3_000,
  timeoutDeltaMs: 2_000,
  observationGraceMs: 1_000,
  rebroadcastMs: 2_000,
  epochWindow: 4,
};
