import { keccak_256 } from "@noble/hashes/sha3.js";
import { concatBytes, Writer } from "./bytes";

export const keccak256 = (...parts: Uint8Array[]): Uint8Array =>
  keccak_256(parts.length === 1 ? parts[0]! : concatBytes(...parts));

const te = new TextEncoder();
/** Domain-tagged hash: keccak256(tag || parts...), so values derived for one purpose never equal another's. */
export const taggedHash = (tag: string, ...parts: Uint8Array[]): Uint8Array =>
  keccak256(te.encode(tag), ...parts);

export const u32be = (v: number): Uint8Array => new Writer().u32(v).finish();

/** Challenge id = keccak256 of the challenge's signing bytes (independent of the signature). */
export const challengeIdOf = (challengeSigningBytes: Uint8Array): Uint8Array =>
  keccak256(challengeSigningBytes);

/** evidenceHash = keccak256(the evidence bundle's canonical bytes): the key contracts slash by. */
export const evidenceHashOf = (evidence: Uint8Array): Uint8Array => keccak256(evidence);
