import type { PrivateKey } from "@libp2p/interface";
import { nodeSigner, type Signer } from "../../attestation/index";

/**
 * The node's libp2p Ed25519 identity as an attestation `Signer` (node:crypto), so challenges and
 * evidence are signed by the key whose peer id is registered on chain.
 */
export function signerFromPeerKey(key: PrivateKey): Signer {
  if (key.type !== "Ed25519") throw new Error(`peer key is ${key.type}, expected Ed25519`);
  // libp2p keeps Ed25519 private keys as seed (32 bytes) || public key (32 bytes).
  return nodeSigner(key.raw.subarray(0, 32));
}
