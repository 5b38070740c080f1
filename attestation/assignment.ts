// The rendezvous assignment rule (docs/interfaces.md), pure and portable: the evidence verifiers,
// the fraud-slashing workflow and the device agent recompute who may challenge a device with it.
// The node's own hot path (oracle-node/assignment) implements the same rule with a faster keccak;
// a test holds the two to the same answers.
import { equalBytes } from "./bytes";
import { keccak256 } from "./hash";

/** A registered oracle as the assignment needs it: its Ethereum signer and its challenger key. */
export interface AssignableOracle {
  /** 20-byte signer address: the rendezvous key. */
  signer: Uint8Array;
  /** 32-byte Ed25519 key its libp2p peer id embeds: the key that signs its challenges and evidence. */
  challengerKey: Uint8Array;
}

const compare = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
};

/**
 * The `k` oracles that watch a device in an epoch: highest `keccak256(beacon ‖ deviceId ‖ signer)`
 * first, ties by lower address. Anyone holding the epoch's pinned beacon and the registry's active
 * oracles gets the same list.
 */
export function assignedOracles<O extends { signer: Uint8Array }>(
  beacon: Uint8Array,
  deviceId: Uint8Array,
  oracles: readonly O[],
  k: number,
): O[] {
  const scored = oracles.map((o) => ({ o, score: keccak256(beacon, deviceId, o.signer) }));
  scored.sort((a, b) => compare(b.score, a.score) || compare(a.o.signer, b.o.signer));
  return scored.slice(0, Math.max(0, Math.min(k, scored.length))).map((s) => s.o);
}

/** Prefix of an identity-multihash libp2p peer id of an Ed25519 key: 0x00 0x24, protobuf type 1, 32 bytes. */
const ED25519_PEER_ID_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20);

/**
 * The Ed25519 public key inside a libp2p peer id's bytes (as the registry stores them), or
 * undefined for any other kind of peer id: only an Ed25519 oracle can sign challenges.
 */
export function challengerKeyOfPeerId(peerIdBytes: Uint8Array): Uint8Array | undefined {
  if (peerIdBytes.length !== 38 || !equalBytes(peerIdBytes.subarray(0, 6), ED25519_PEER_ID_PREFIX))
    return undefined;
  return peerIdBytes.slice(6);
}
