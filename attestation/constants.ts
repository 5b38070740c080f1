/** First bytes of every signed Vigil message: separates its signatures from anything else the same key signs (libp2p records, other protocols). */
export const MAGIC = Uint8Array.of(0x56, 0x49, 0x47, 0x4c); // "VIGL"
export const VERSION = 1;

export const MessageKind = {
  registration: 1,
  heartbeat: 2,
  challenge: 3,
  commit: 4,
  response: 5,
  evidence: 6,
} as const;
export type MessageKindName = keyof typeof MessageKind;
export const kindName = (code: number): MessageKindName | undefined =>
  (Object.keys(MessageKind) as MessageKindName[]).find((k) => MessageKind[k] === code);

export const ChallengeType = { compute: 1, storage: 2, bandwidth: 3, latency: 4 } as const;
export type ChallengeTypeName = keyof typeof ChallengeType;
export const challengeTypeName = (code: number): ChallengeTypeName | undefined =>
  (Object.keys(ChallengeType) as ChallengeTypeName[]).find((k) => ChallengeType[k] === code);

// Header: magic 4 | version 1 | kind 1 | networkId 8 | epoch 8 | signer 32 | bodyLength 4.
export const HEADER_BYTES = 58;
export const SIGNATURE_BYTES = 64;
/**
 * Largest message accepted. The biggest legitimate one is an evidence bundle holding a compute
 * response at n = 1024: 44 rows x 4 KiB + proofs ~ 190 KiB; 1 MiB leaves room and bounds memory.
 */
export const MAX_MESSAGE_BYTES = 1 << 20;

/** Compute matrix side per claimed compute class: 64 << class, class 0..4 (64..1024). */
export const MAX_COMPUTE_CLASS = 4;
export const computeSize = (computeClass: number): number => 64 << computeClass;
/**
 * Rows the verifier opens. A device that skipped a fraction q of the rows survives s distinct
 * samples with probability at most (1-q)^s; (0.9)^44 = 0.0097, so 44 samples catch 10% skipped
 * work with probability >= 99%.
 */
export const COMPUTE_SAMPLES = 44;
/** Modulus of the compute workload: entries < 2^16, so a dot product of 1024 terms stays < 2^53 (exact in a double). */
export const COMPUTE_MODULUS = 65521;

export const MAX_STORAGE_CHUNK_BYTES = 16 * 1024;
export const MAX_STORAGE_SAMPLES = 16;
export const MAX_BANDWIDTH_BYTES = 8 * 1024 * 1024;
export const MAX_MERKLE_DEPTH = 32;
