// The device-line tree, built exactly as @openzeppelin/merkle-tree's StandardMerkleTree builds it
// (`contracts/lines.ts` `buildLinesTree`): leaf = keccak256(keccak256(abi.encode(line))), leaves
// sorted by hash, array layout with children 2i+1 / 2i+2, sorted-pair node hashing. The library
// takes ~75 s for 100k lines on this machine (generic ABI coder, hex round trips per node); the
// lines are fixed-width, so encoding them directly into one buffer, hashing with WebAssembly keccak
// and keeping the nodes as bytes brings that to a few hundred milliseconds.
// `linesTree.test.ts` checks that root, node array and leaf positions equal the library's.
import type { Hex } from "viem";
import { keccak256Bytes } from "../keccak";
import type { DeviceLine } from "./types";

export interface LinesTreeNodes {
  root: Hex;
  /** All node hashes in StandardMerkleTree order (`tree.dump().tree`), 32 bytes each, concatenated. */
  nodes: Buffer;
  /** treeIndex of each input line, in input order (`tree.dump().values[i].treeIndex`). */
  treeIndex: number[];
}

const U64 = (1n << 64n) - 1n;

function putUint(buf: Buffer, word: number, v: bigint): void {
  const off = word * 32;
  // uint256 big-endian as four 64-bit limbs; most values fit the low limb (the buffer is zeroed).
  if (v <= U64) {
    buf.writeBigUInt64BE(v, off + 24);
    return;
  }
  for (let i = 3; i >= 0; i--) {
    buf.writeBigUInt64BE(v & U64, off + i * 8);
    v >>= 64n;
  }
}

function leafHash(l: DeviceLine, buf: Buffer): Uint8Array {
  buf.fill(0);
  putUint(buf, 0, l.networkId);
  putUint(buf, 1, l.epoch);
  buf.write(l.deviceId.slice(2), 64, 32, "hex");
  buf.write(l.owner.slice(2), 96 + 12, 20, "hex");
  buf.writeUInt16BE(l.uptimeBps, 128 + 30);
  putUint(buf, 5, l.work);
  putUint(buf, 6, l.reward);
  putUint(buf, 7, l.slash);
  return keccak256Bytes(keccak256Bytes(buf));
}

/** Hex of the 32-byte node `i` of a tree's node buffer. */
export function treeNodeHex(nodes: Buffer, i: number): Hex {
  return `0x${nodes.toString("hex", i * 32, i * 32 + 32)}`;
}

/** The node buffer of a tree given as hex node hashes (`StandardMerkleTree.dump().tree`). */
export function treeNodesFromHex(nodes: readonly Hex[]): Buffer {
  return Buffer.from(nodes.map((h) => h.slice(2)).join(""), "hex");
}

export function buildLinesTreeNodes(lines: readonly DeviceLine[]): LinesTreeNodes {
  const count = lines.length;
  if (count === 0) throw new Error("a lines tree needs at least one line");
  const buf = Buffer.alloc(256);
  const leaves = Buffer.allocUnsafe(count * 32);
  // First 4 bytes of each leaf hash as a number: most comparisons in the sort end there.
  const head = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    leaves.set(leafHash(lines[i]!, buf), i * 32);
    head[i] = leaves.readUInt32BE(i * 32);
  }
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort(
    (a, b) => head[a]! - head[b]! || leaves.compare(leaves, b * 32, b * 32 + 32, a * 32, a * 32 + 32),
  );
  const size = 2 * count - 1;
  const tree = Buffer.allocUnsafe(size * 32);
  const treeIndex: number[] = new Array(count);
  order.forEach((i, pos) => {
    const at = size - 1 - pos;
    leaves.copy(tree, at * 32, i * 32, i * 32 + 32);
    treeIndex[i] = at;
  });
  const pair = Buffer.allocUnsafe(64);
  for (let i = size - 1 - count; i >= 0; i--) {
    const a = (2 * i + 1) * 32;
    const b = a + 32;
    const aFirst = tree.compare(tree, b, b + 32, a, a + 32) <= 0;
    tree.copy(pair, aFirst ? 0 : 32, a, a + 32);
    tree.copy(pair, aFirst ? 32 : 0, b, b + 32);
    tree.set(keccak256Bytes(pair), i * 32);
  }
  return { root: treeNodeHex(tree, 0), nodes: tree, treeIndex };
}
