import { equalBytes } from "./bytes";
import { keccak256 } from "./hash";

/**
 * A positional binary keccak Merkle tree over precomputed leaf hashes: node = keccak256(left ||
 * right), an odd node at the end of a level is promoted unchanged. Unlike OpenZeppelin's sorted-pair
 * trees, a proof is bound to the leaf's index, which the challenges need (row i must be row i).
 * Leaves must already include their index in their hash.
 */
export function merkleLevels(leaves: Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0) throw new RangeError("empty Merkle tree");
  const levels = [leaves];
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? keccak256(level[i]!, level[i + 1]!) : level[i]!);
    levels.push(next);
    level = next;
  }
  return levels;
}

export const merkleRoot = (levels: Uint8Array[][]): Uint8Array => levels[levels.length - 1]![0]!;

export function merkleProof(levels: Uint8Array[][], index: number): Uint8Array[] {
  const proof: Uint8Array[] = [];
  let i = index;
  for (let l = 0; l < levels.length - 1; l++) {
    const sibling = i ^ 1;
    if (sibling < levels[l]!.length) proof.push(levels[l]![sibling]!);
    i >>= 1;
  }
  return proof;
}

/** True if `leaf` is at `index` of a `count`-leaf tree with root `root`. Never throws. */
export function verifyMerkleProof(
  root: Uint8Array,
  leaf: Uint8Array,
  index: number,
  count: number,
  proof: Uint8Array[],
): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= count) return false;
  let node = leaf;
  let i = index;
  let width = count;
  let p = 0;
  while (width > 1) {
    const sibling = i ^ 1;
    if (sibling < width) {
      const s = proof[p++];
      if (!s || s.length !== 32) return false;
      node = i & 1 ? keccak256(s, node) : keccak256(node, s);
    }
    i >>= 1;
    width = (width + 1) >> 1;
  }
  return p === proof.length && equalBytes(node, root);
}
