/** Epoch timing of a network (docs/interfaces.md: epoch e covers [genesis + e*length, genesis + (e+1)*length)). */
export interface EpochTiming {
  genesisTime: bigint;
  epochLength: number;
}

/** The epoch containing `nowSeconds`; before genesis it is epoch 0. */
export function epochAt(timing: EpochTiming, nowSeconds: bigint): bigint {
  if (nowSeconds < timing.genesisTime) return 0n;
  return (nowSeconds - timing.genesisTime) / BigInt(timing.epochLength);
}

/** Unix seconds at which `epoch` ends (and `epoch + 1` begins). */
export function epochEnd(timing: EpochTiming, epoch: bigint): bigint {
  return timing.genesisTime + (epoch + 1n) * BigInt(timing.epochLength);
}
