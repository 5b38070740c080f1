// The attestation library for runtimes without Node built-ins (CRE workflows, browsers, Deno):
// pure JS, @noble/curves Ed25519 + @noble/hashes keccak. Nothing in this import graph may import
// `node:*` (a test bundles it for a neutral platform to keep it that way). Same checks, same
// results as the node:crypto fast path: only the Ed25519 verify function differs.
import type { MessageKindName } from "./constants";
import { nobleVerify } from "./crypto/noble";
import { type EvidenceExpect, verifyEvidence as verifyEvidenceWith } from "./evidence";
import { type Expect, verifyMessage as verifyMessageWith } from "./messages/message";

export * from "./core";
export { nobleSigner, nobleVerify } from "./crypto/noble";

export const verifyMessagePortable = <K extends MessageKindName>(bytes: Uint8Array, expect: Expect<K>) =>
  verifyMessageWith(bytes, expect, nobleVerify);

/** Re-verifies an evidence bundle (for the fraud-slashing workflow). */
export const verifyEvidencePortable = (bytes: Uint8Array, expect: EvidenceExpect) =>
  verifyEvidenceWith(bytes, expect, nobleVerify);
