import { taggedHash, u32be } from "../hash";
import { merkleLevels, merkleProof, merkleRoot, verifyMerkleProof } from "../merkle";
import type { OpenedChunk } from "../messages/response";
import { Prg } from "../prg";
import { sampleIndices } from "./sample";

// Storage: a challenge names a target (the Merkle root, chunk count and chunk size of the data the
// device must hold) and random chunks; the device returns them with proofs, and refuses a challenge
// whose target is not the storage it holds. The node takes the target from the chain, where the
// network's storage client registered it for the device (`attestation/storage/`: a per-device
// replica derived from a secret the device never learns), never from the device.

/**
 * Chunk `index` of seeded data: an in-memory fixture for tests of the challenge mechanics. Anyone
 * with the seed regenerates any chunk, so holding it proves nothing; real storage is a client's
 * replica (`replicaChunk` in `attestation/storage/`).
 */
export function storageChunk(storageSeed: Uint8Array, index: number, chunkBytes: number): Uint8Array {
  return new Prg(taggedHash("vigil.storage.chunk", storageSeed, u32be(index))).fill(
    new Uint8Array(chunkBytes),
  );
}

export const chunkLeaf = (index: number, data: Uint8Array): Uint8Array =>
  taggedHash("vigil.storage.leaf", u32be(index), data);

/** Storage a device holds: its Merkle levels (leaves first) and the chunks it has at hand. */
export interface StorageSet {
  /**
   * Chunk data by index: every chunk (built in memory), or only those read for one challenge (a
   * sparse array; the agent reads the sampled chunks of its replica file).
   */
  chunks: Uint8Array[];
  chunkBytes: number;
  levels: Uint8Array[][];
  root: Uint8Array;
}

export function buildStorage(storageSeed: Uint8Array, chunks: number, chunkBytes: number): StorageSet {
  const data = Array.from({ length: chunks }, (_, i) => storageChunk(storageSeed, i, chunkBytes));
  const levels = merkleLevels(data.map((d, i) => chunkLeaf(i, d)));
  return { chunks: data, chunkBytes, levels, root: merkleRoot(levels) };
}

export const storageSampleIndices = (challengeId: Uint8Array, chunks: number, samples: number): number[] =>
  sampleIndices(taggedHash("vigil.storage.sample", challengeId), chunks, samples);

/**
 * `lost(i)`, or a chunk the set does not hold: chunks the device no longer has; it says so (signed)
 * rather than stalling.
 */
export function openChunks(set: StorageSet, indices: number[], lost?: (i: number) => boolean): OpenedChunk[] {
  return indices.map((index) => {
    const data = lost?.(index) ? undefined : set.chunks[index];
    return data ? { index, data, proof: merkleProof(set.levels, index) } : { index, data: null, proof: [] };
  });
}

export type StorageJudgement = { ok: true } | { ok: false; reason: "storageMissing"; detail: string };

/**
 * The storage a challenge is judged against: the root, chunk count and chunk size its params name,
 * which the challenger took from the chain (`IVigilRegistry.getDeviceStorage`).
 */
export interface StorageTarget {
  storageRoot: Uint8Array;
  storageChunks: number;
  storageChunkBytes: number;
}

export function judgeStorage(
  challengeId: Uint8Array,
  samples: number,
  registered: StorageTarget,
  chunks: OpenedChunk[],
): StorageJudgement {
  const indices = storageSampleIndices(challengeId, registered.storageChunks, samples);
  if (chunks.length !== indices.length)
    return {
      ok: false,
      reason: "storageMissing",
      detail: `opened ${chunks.length} chunks, asked ${indices.length}`,
    };
  for (let s = 0; s < chunks.length; s++) {
    const c = chunks[s]!;
    if (c.index !== indices[s])
      return { ok: false, reason: "storageMissing", detail: `chunk ${s} is ${c.index}` };
    if (!c.data) return { ok: false, reason: "storageMissing", detail: `chunk ${c.index} declared missing` };
    if (c.data.length !== registered.storageChunkBytes)
      return { ok: false, reason: "storageMissing", detail: `chunk ${c.index} size ${c.data.length}` };
    if (
      !verifyMerkleProof(
        registered.storageRoot,
        chunkLeaf(c.index, c.data),
        c.index,
        registered.storageChunks,
        c.proof,
      )
    )
      return { ok: false, reason: "storageMissing", detail: `chunk ${c.index} proof` };
  }
  return { ok: true };
}
