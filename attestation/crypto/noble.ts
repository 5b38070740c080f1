import { ed25519 } from "@noble/curves/ed25519.js";
import type { Ed25519Verify, Signer } from "./ed25519";

/**
 * Pure-JS verify for environments without node:crypto (CRE workflows, browsers). `zip215: false`
 * selects RFC 8032 strict checks, the rules OpenSSL applies on the fast path, so both paths accept
 * the same signatures.
 */
export const nobleVerify: Ed25519Verify = (publicKey, message, signature) => {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
};

/** A signer from a 32-byte Ed25519 secret seed, in pure JS. */
export function nobleSigner(secretKey: Uint8Array): Signer {
  const publicKey = ed25519.getPublicKey(secretKey);
  return { publicKey, sign: (message) => ed25519.sign(message, secretKey) };
}
