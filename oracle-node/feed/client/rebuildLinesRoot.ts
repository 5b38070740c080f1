import { bytesToHex, type Hex, hexToBytes, keccak256 } from "viem";
import type { DeviceLine } from "../../../contracts/portable";

// The device-line tree as @openzeppelin/merkle-tree's StandardMerkleTree builds it (leaf =
// keccak256(keccak256(abi.encode(line))), array layout with children 2i+1 / 2i+2, sorted-pair node
// hashing), rebuilt from leaves placed at their `treeIndex`. Lines are fixed-width, so they are
// encoded straight into one buffer: the library's generic ABI coder takes ~75 s for 100k lines here
// (agreement/linesTree.ts), this a few seconds, and it runs in browsers (no node:crypto).

const WORD = 32;
const U64 = (1n << 64n) - 1n;

function putUint(view: DataView, word: number, v: bigint): void {
  for (let limb = 3; limb >= 0 && v > 0n; limb--) {
    view.setBigUint64(word * WORD + limb * 8, v & U64);
    v >>= 64n;
  }
}

/** The leaf hash of a line, as bytes (`lineLeaf` in contracts/lines.ts, without the ABI coder). */
export function lineLeafBytes(line: DeviceLine): Uint8Array {
  const buf = new Uint8Array(8 * WORD);
  const view = new DataView(buf.buffer);
  putUint(view, 0, line.networkId);
  putUint(view, 1, line.epoch);
  buf.set(hexToBytes(line.deviceId), 2 * WORD);
  buf.set(hexToBytes(line.owner), 3 * WORD + 12);
  view.setUint32(4 * WORD + 28, line.uptimeBps);
  putUint(view, 5, line.work);
  putUint(view, 6, line.reward);
  putUint(view, 7, line.slash);
  return keccak256(keccak256(buf, "bytes"), "bytes");
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < WORD; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Why rows cannot form the tree: a leaf outside the leaf range, or two at one position. */
export class TreeShapeError extends Error {
  override name = "TreeShapeError";
}

/**
 * Collects the leaves of a tree of `leafCount` lines by `treeIndex` and hashes them up to the root.
 * Memory is the node array (64 bytes per line), whatever the order the lines come in.
 */
export class LinesRootBuilder {
  private readonly nodes: Uint8Array;
  private readonly filled: Uint8Array;
  private count = 0;

  constructor(readonly leafCount: number) {
    if (!Number.isSafeInteger(leafCount) || leafCount < 1)
      throw new TreeShapeError(`a lines tree needs at least one line, not ${leafCount}`);
    this.nodes = new Uint8Array((2 * leafCount - 1) * WORD);
    this.filled = new Uint8Array(leafCount);
  }

  /** Places the line's leaf at `treeIndex`; returns the leaf. */
  add(line: DeviceLine, treeIndex: number): Uint8Array {
    const first = this.leafCount - 1;
    if (!Number.isSafeInteger(treeIndex) || treeIndex < first || treeIndex > 2 * this.leafCount - 2)
      throw new TreeShapeError(
        `treeIndex ${treeIndex} is not a leaf position of a ${this.leafCount}-line tree (${first}..${2 * this.leafCount - 2})`,
      );
    if (this.filled[treeIndex - first]) throw new TreeShapeError(`two lines at treeIndex ${treeIndex}`);
    this.filled[treeIndex - first] = 1;
    this.count++;
    const leaf = lineLeafBytes(line);
    this.nodes.set(leaf, treeIndex * WORD);
    return leaf;
  }

  get added(): number {
    return this.count;
  }

  /** The root, once every leaf position holds a line. */
  root(): Hex {
    if (this.count !== this.leafCount)
      throw new TreeShapeError(`${this.count} of ${this.leafCount} leaf positions hold a line`);
    const pair = new Uint8Array(2 * WORD);
    for (let i = this.leafCount - 2; i >= 0; i--) {
      const left = this.nodes.subarray((2 * i + 1) * WORD, (2 * i + 2) * WORD);
      const right = this.nodes.subarray((2 * i + 2) * WORD, (2 * i + 3) * WORD);
      const [a, b] = compare(left, right) <= 0 ? [left, right] : [right, left];
      pair.set(a, 0);
      pair.set(b, WORD);
      this.nodes.set(keccak256(pair, "bytes"), i * WORD);
    }
    return bytesToHex(this.nodes.subarray(0, WORD));
  }
}
