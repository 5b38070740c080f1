import { shake256 } from "@noble/hashes/sha3.js";
import { concatBytes } from "../bytes";
import { chunkLeaf, type StorageTarget } from "../challenges/storage";
import { MAX_STORAGE_CHUNK_BYTES } from "../constants";
import { taggedHash, u32be } from "../hash";
import { merkleLevels, merkleRoot } from "../merkle";

/**
 * The storage client's side (the DePIN protocol's customer): it holds `clientSecret`, which no
 * device ever learns, and gives each device its own replica, chunk `i` of which is
 * `SHAKE256("vigil.replica.chunk" ‖ replicaKey ‖ u32 i)` with `replicaKey = keccak256(
 * "vigil.replica.key" ‖ clientSecret ‖ deviceId)`: the client's data sealed per device (here the
 * data is the keystream itself, as if the customer stored zeros encrypted under a per-device key).
 *
 * - Without the secret a device cannot derive any chunk, so it must keep the bytes (regeneration);
 * - every device's bytes and root differ, so one copy cannot serve two keys (a shared dataset);
 * - the client registers the root on chain, so the device's own word about its storage counts for
 *   nothing (a device registering its own root).
 *
 * SHAKE256, not the workload PRG (`prg.ts`): xoshiro's 16-byte state can be recovered from its
 * first outputs, so a device could keep 16 bytes per chunk and regenerate the rest.
 */
export const replicaKey = (clientSecret: Uint8Array, deviceId: Uint8Array): Uint8Array => {
  if (clientSecret.length < 16) throw new RangeError("storage client secret shorter than 16 bytes");
  return taggedHash("vigil.replica.key", clientSecret, deviceId);
};

const CHUNK_TAG = new TextEncoder().encode("vigil.replica.chunk");

/** Chunk `index` of a replica, from its key (`replicaKey`): what the client hands the device. */
export function replicaKeyChunk(key: Uint8Array, index: number, chunkBytes: number): Uint8Array {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_STORAGE_CHUNK_BYTES)
    throw new RangeError(`chunk size ${chunkBytes} outside 1..${MAX_STORAGE_CHUNK_BYTES}`);
  return shake256(concatBytes(CHUNK_TAG, key, u32be(index)), { dkLen: chunkBytes });
}

/** Chunk `index` of `deviceId`'s replica under the client's secret. */
export const replicaChunk = (
  clientSecret: Uint8Array,
  deviceId: Uint8Array,
  index: number,
  chunkBytes: number,
): Uint8Array => replicaKeyChunk(replicaKey(clientSecret, deviceId), index, chunkBytes);

/** Merkle levels (leaves first, `chunkLeaf`) over `chunks` chunks given one at a time. */
export function storageLevels(chunks: number, chunkAt: (index: number) => Uint8Array): Uint8Array[][] {
  return merkleLevels(Array.from({ length: chunks }, (_, i) => chunkLeaf(i, chunkAt(i))));
}

export interface ReplicaTree {
  levels: Uint8Array[][];
  /** What the client registers on chain for the device. */
  target: StorageTarget;
}

/** The Merkle tree of `deviceId`'s replica: the client computes it to register the root. */
export function replicaTree(
  clientSecret: Uint8Array,
  deviceId: Uint8Array,
  chunks: number,
  chunkBytes: number,
): ReplicaTree {
  const key = replicaKey(clientSecret, deviceId);
  const levels = storageLevels(chunks, (i) => replicaKeyChunk(key, i, chunkBytes));
  return {
    levels,
    target: { storageRoot: merkleRoot(levels), storageChunks: chunks, storageChunkBytes: chunkBytes },
  };
}
