// The attestation library, fast path: node:crypto Ed25519 for verification (see core.ts for the
// shared logic). Third parties without node:crypto import `attestation/portable.ts` instead.
import type { MessageKindName } from "./constants";
import { nodeVerify } from "./crypto/node";
import { type EvidenceExpect, verifyEvidence as verifyEvidenceWith } from "./evidence";
import { type Expect, verifyMessage as verifyMessageWith } from "./messages/message";

export * from "./core";
export { nobleSigner, nobleVerify } from "./crypto/noble";
export { generateKey, nodeSigner, nodeVerify } from "./crypto/node";

/** `verifyMessage` with node:crypto. */
export const verifyMessageFast = <K extends MessageKindName>(bytes: Uint8Array, expect: Expect<K>) =>
  verifyMessageWith(bytes, expect, nodeVerify);

/** `verifyEvidence` with node:crypto; same result as `portable.ts`'s `verifyEvidencePortable`. */
export const verifyEvidenceFast = (bytes: Uint8Array, expect: EvidenceExpect) =>
  verifyEvidenceWith(bytes, expect, nodeVerify);
