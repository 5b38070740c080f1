import { taggedHash, u32be } from "../hash";
import { merkleLevels, merkleProof, merkleRoot, verifyMerkleProof } from "../merkle";
import type { OpenedChunk } from "../messages/response";
import { Prg } from "../prg";
import { sampleIndices } from "./sample";

/**
 * Storage: the device holds `chunks` chunks of `chunkBytes` seeded bytes and registers their
 * Merkle root (signed). A challenge copies root, chunk count and chunk size from the registration
 * into its signed params and names random chunks; the device returns them with proofs (and refuses
 * a challenge whose storage is not its own).
 * The data is seeded so tests and the fleet can create it cheaply; the proof shows the device
 * still reads the chunks it registered, not that it stores unique data (no sealing / proof of
 * replication here).
 */
export function storageChunk(storageSeed: Uint8Array, index: number, chunkBytes: number): Uint8Array {
  return new Prg(taggedHash("vigil.storage.chunk", storageSeed, u32be(index))).fill(
    new Uint8Array(chunkBytes),
  );
}

export const chunkLeaf = (index: number, data: Uint8Array): Uint8Array =>
  taggedHash("vigil.storage.leaf", u32be(index), data);

export interface StorageSet {
  chunks: Uint8Array[];
  levels: Uint8Array[][];
  root: Uint8Array;
}

export function buildStorage(storageSeed: Uint8Array, chunks: number, chunkBytes: number): StorageSet {
  const data = Array.from({ length: chunks }, (_, i) => storageChunk(storageSeed, i, chunkBytes));
  const levels = merkleLevels(data.map((d, i) => chunkLeaf(i, d)));
  return { chunks: data, levels, root: merkleRoot(levels) };
}

export const storageSampleIndices = (challengeId: Uint8Array, chunks: number, samples: number): number[] =>
  sampleIndices(taggedHash("vigil.storage.sample", challengeId), chunks, samples);

/** `lost(i)`: chunks the device no longer has; it says so (signed) rather than stalling. */
export function openChunks(set: StorageSet, indices: number[], lost?: (i: number) => boolean): OpenedChunk[] {
  return indices.map((index) =>
    lost?.(index)
      ? { index, data: null, proof: [] }
      : { index, data: set.chunks[index]!, proof: merkleProof(set.levels, index) },
  );
}

export type StorageJudgement = { ok: true } | { ok: false; reason: "storageMissing"; detail: string };

/** The storage a challenge is judged against: the root, chunk count and chunk size its params name. */
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
