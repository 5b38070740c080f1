// The replica on disk: the client writes it (`writeReplicaFile`), the device keeps it and answers
// storage challenges from it (`openReplicaFile`). The only file I/O of `attestation/storage/`.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { chunkLeaf, type StorageSet, type StorageTarget } from "../challenges/storage";
import { merkleLevels, merkleRoot } from "../merkle";
import { replicaKey, replicaKeyChunk, storageLevels } from "./replica";

export type StorageErrorCode = "REPLICA_SIZE" | "REPLICA_READ";

export class StorageError extends Error {
  override readonly name = "StorageError";
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Chunks per read or write while streaming a whole replica: 1 MiB at the largest chunk size. */
const CHUNKS_PER_BLOCK = 64;

/**
 * The client writes `deviceId`'s replica to `path` (via a temporary file, renamed when complete) and
 * returns the target it registers on chain. Synchronous: a one-off upload step, streamed in blocks.
 */
export function writeReplicaFile(
  path: string,
  clientSecret: Uint8Array,
  deviceId: Uint8Array,
  chunks: number,
  chunkBytes: number,
): StorageTarget {
  const key = replicaKey(clientSecret, deviceId);
  const tmp = `${path}.part`;
  const fd = openSync(tmp, "w", 0o600);
  let levels: Uint8Array[][];
  try {
    const block: Uint8Array[] = [];
    const flush = () => {
      for (const c of block) writeSync(fd, c);
      block.length = 0;
    };
    levels = storageLevels(chunks, (i) => {
      const c = replicaKeyChunk(key, i, chunkBytes);
      block.push(c);
      if (block.length >= CHUNKS_PER_BLOCK) flush();
      return c;
    });
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return { storageRoot: merkleRoot(levels), storageChunks: chunks, storageChunkBytes: chunkBytes };
}

/** A replica file a device holds: its tree kept in memory, its chunks read from disk when asked. */
export interface ReplicaFile {
  readonly path: string;
  /** What the file's bytes prove: compared with each challenge's target before anything is read. */
  readonly target: StorageTarget;
  /** The chunks at `indices`, read at their positions in the file, with the tree (a sparse set). */
  read(indices: readonly number[]): Promise<StorageSet>;
}

/**
 * Opens the replica the device keeps at `path` (`chunks` × `chunkBytes` bytes): reads it once to
 * rebuild its Merkle levels (held in memory, ~64 bytes a chunk), then serves challenges with
 * positional reads of the sampled chunks only. The file is opened per `read`, so nothing stays open
 * and a file replaced or removed later is what the next challenge sees.
 */
export async function openReplicaFile(
  path: string,
  chunks: number,
  chunkBytes: number,
): Promise<ReplicaFile> {
  const expected = chunks * chunkBytes;
  const fh = await open(path, "r");
  const leaves: Uint8Array[] = [];
  try {
    const { size } = await fh.stat();
    if (size !== expected)
      throw new StorageError(
        "REPLICA_SIZE",
        `replica ${path} holds ${size} bytes, ${chunks} chunks of ${chunkBytes} need ${expected}`,
        { path, size, expected },
      );
    const block = new Uint8Array(CHUNKS_PER_BLOCK * chunkBytes);
    for (let first = 0; first < chunks; first += CHUNKS_PER_BLOCK) {
      const n = Math.min(CHUNKS_PER_BLOCK, chunks - first);
      await readFully(fh, block, n * chunkBytes, first * chunkBytes, path);
      // Hashed block by block: only one block of data is in memory at a time.
      for (let j = 0; j < n; j++)
        leaves.push(chunkLeaf(first + j, block.subarray(j * chunkBytes, (j + 1) * chunkBytes)));
    }
  } finally {
    await fh.close();
  }
  const levels = merkleLevels(leaves);
  const target: StorageTarget = {
    storageRoot: merkleRoot(levels),
    storageChunks: chunks,
    storageChunkBytes: chunkBytes,
  };
  return {
    path,
    target,
    async read(indices) {
      const data: Uint8Array[] = new Array(chunks);
      const f = await open(path, "r");
      try {
        for (const i of indices) {
          if (!Number.isInteger(i) || i < 0 || i >= chunks) throw new RangeError(`chunk ${i} of ${chunks}`);
          const buf = new Uint8Array(chunkBytes);
          await readFully(f, buf, chunkBytes, i * chunkBytes, path);
          data[i] = buf;
        }
      } finally {
        await f.close();
      }
      return { chunks: data, chunkBytes, levels, root: target.storageRoot };
    },
  };
}

/** Reads exactly `length` bytes at `position` into `buf` (a short read is a truncated file). */
async function readFully(
  fh: FileHandle,
  buf: Uint8Array,
  length: number,
  position: number,
  path: string,
): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0)
      throw new StorageError("REPLICA_READ", `replica ${path} ended at byte ${position + done}`, {
        path,
        position: position + done,
      });
    done += bytesRead;
  }
}
