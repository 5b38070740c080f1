// Rotating the libp2p peer key. The registry holds one peer id per operator (updateOperatorPeerId),
// and peers admit only that id; so the new key waits beside the old one as `<peer key>.pending`, and
// at each start the node takes whichever of the two the registry holds. Neither the order of the
// on-chain call and the restart nor a crash in between can leave it on a key the chain does not know.
import { copyFileSync, existsSync, renameSync } from "node:fs";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex, type Hex } from "viem";
import { KeysError } from "./errors";
import { type KeyWriteOptions, type PeerKey, readPeerKey, writePeerKey } from "./keyFiles";
import type { PasswordSource } from "./password";

/** The new peer key written by `vigil node keys rotate-peer`, until the registry holds its id. */
export const pendingPeerKeyFile = (file: string) => `${file}.pending`;
/** The key a rotation replaced, kept as a backup. */
export const previousPeerKeyFile = (file: string) => `${file}.previous`;

/** The multihash bytes the registry stores for a peer id (`registerOperator`, `updateOperatorPeerId`). */
export function peerIdRegistryBytes(key: PeerKey["key"]): Hex {
  return bytesToHex(peerIdFromPrivateKey(key).toMultihash().bytes);
}

/** Writes a new Ed25519 key as `<file>.pending`; the current key stays in use until the registry names the new one. */
export async function createPendingPeerKey(
  file: string,
  o: KeyWriteOptions,
): Promise<{ pendingFile: string; peerId: string; peerIdBytes: Hex }> {
  const pendingFile = pendingPeerKeyFile(file);
  if (existsSync(pendingFile) && !o.overwrite)
    throw new KeysError(
      "KEYS_EXISTS",
      `a rotation is already pending (${pendingFile}); finish it with updateOperatorPeerId and a restart, ` +
        "or pass --force to replace it (only if its peer id was never sent on chain)",
      { file: pendingFile },
    );
  const key = await generateKeyPair("Ed25519");
  await writePeerKey(pendingFile, key, { ...o, overwrite: true });
  return { pendingFile, peerId: peerIdFromPrivateKey(key).toString(), peerIdBytes: peerIdRegistryBytes(key) };
}

export interface NodePeerKey extends PeerKey {
  /** The pending key matched the registry and became the peer key at this start. */
  rotated: boolean;
  /** A pending key exists that the registry does not hold yet; its peer id. */
  pending?: string;
}

/**
 * The peer key the node starts with: the current one, unless a pending key's id is the one the
 * registry holds for this operator (`registered`), in which case the pending key is promoted (the
 * old one kept as `<file>.previous`). Copy then rename: a crash between the two leaves both keys in place.
 */
export async function loadNodePeerKey(
  file: string,
  password: PasswordSource,
  registered: string | null | undefined,
): Promise<NodePeerKey> {
  const current = await readPeerKey(file, password);
  const pendingFile = pendingPeerKeyFile(file);
  if (!existsSync(pendingFile)) return { ...current, rotated: false };
  const pending = await readPeerKey(pendingFile, password);
  if (registered !== pending.peerId || registered === current.peerId)
    return { ...current, rotated: false, pending: pending.peerId };
  copyFileSync(file, previousPeerKeyFile(file));
  renameSync(pendingFile, file);
  return { ...pending, rotated: true };
}
