/**
 * The one primitive the fast path (node:crypto) and the portable path (@noble/curves) do not
 * share. Everything else in the library takes an `Ed25519Verify` as an argument, so both paths
 * run the same checks and return the same verdicts.
 */
export type Ed25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** A key that signs Vigil messages: a device key or an oracle node's libp2p identity key. */
export interface Signer {
  /** Raw 32-byte Ed25519 public key (the deviceId, or the challenger key). */
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}
