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
  /**
   * Epochs further than this from the newest started one, or older than this node's current epoch
   * (its own clock) minus this, are ignored on gossip and never stored.
   */
  epochWindow: number;
  /**
   * Networks this node serves. Agreement messages and observations for any other network are
   * ignored on gossip (not relayed) and never stored; `runEpoch` refuses them. Empty: none.
   */
  networks: readonly bigint[];
  /**
   * Bytes of agreement messages kept per sending peer for epochs this node has not started yet
   * (their envelopes, counted as received). 1 MiB is one maximal agreement message (the topic's
   * limit); an honest peer's messages of an epoch are a few KiB (a proposal is ~120 B per oracle plus
   * ~400 B per justifying prevote; its rebroadcasts replace the same bytes), so a full buffer is a
   * misbehaving peer, whose further messages are ignored.
   */
  bufferBytesPerPeer: number;
}

export const defaultAgreementOptions: AgreementOptions = {
  proposeTimeoutMs: 10_000,
  stepTimeoutMs: 3_000,
  timeoutDeltaMs: 2_000,
  observationGraceMs: 1_000,
  rebroadcastMs: 2_000,
  epochWindow: 4,
  networks: [],
  bufferBytesPerPeer: 1024 * 1024,
};
