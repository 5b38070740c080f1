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
      if (s?.length !== 32) return false;
      node = i & 1 ? keccak256(s, node) : keccak256(node, s);
    }
    i >>= 1;
    width = (width + 1) >> 1;
  }
  return p === proof.length && equalBytes(node, root);
}

/**
 * Verifies many proofs against one root, hashing each internal node once: nodes proven by an
 * earlier proof are remembered, and a later path that reaches one with the same value only has to
 * match the remembered siblings above it. Same answers as `verifyMerkleProof` for every proof.
 */
export function createMultiProofVerifier(root: Uint8Array, count: number) {
  const known = new Map<number, Uint8Array>(); // level * 2^32 + index -> node
  const key = (level: number, index: number) => level * 0x1_0000_0000 + index;
  return function verify(leaf: Uint8Array, index: number, proof: Uint8Array[]): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= count) return false;
    const path: [number, Uint8Array][] = [];
    let node = leaf;
    let i = index;
    let width = count;
    let level = 0;
    let p = 0;
    let shortcut = false;
    while (width > 1) {
      const seen = known.get(key(level, i));
      if (seen && !shortcut) {
        if (!equalBytes(seen, node)) return false;
        shortcut = true; // from here up the values are known; only check the proof's siblings
      }
      const sibling = i ^ 1;
      if (sibling < width) {
        const s = proof[p++];
        if (s?.length !== 32) return false;
        if (shortcut) {
          const k = known.get(key(level, sibling));
          if (!k || !equalBytes(k, s)) return false;
        } else {
          path.push([key(level, i), node], [key(level, sibling), s]);
          node = i & 1 ? keccak256(s, node) : keccak256(node, s);
        }
      }
      i >>= 1;
      width = (width + 1) >> 1;
      level++;
    }
    // On a shortcut the path above was proven to the root by an earlier proof.
    if (p !== proof.length || (!shortcut && !equalBytes(node, root))) return false;
    for (const [k, v] of path) known.set(k, v);
    return true;
  };
}
