// The device-line tree, built exactly as @openzeppelin/merkle-tree's StandardMerkleTree builds it
// (`contracts/lines.ts` `buildLinesTree`): leaf = keccak256(keccak256(abi.encode(line))), leaves
// sorted by hash, array layout with children 2i+1 / 2i+2, sorted-pair node hashing. The library
// takes ~75 s for 100k lines on this machine (generic ABI coder, hex round trips per node); the
// lines are fixed-width, so encoding them directly brings that to well under a second.
// `linesTree.test.ts` checks that root, node array and leaf positions equal the library's.
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { Hex } from "viem";
import type { DeviceLine } from "./types";

export interface LinesTreeNodes {
  root: Hex;
  /** All node hashes in StandardMerkleTree order (`tree.dump().tree`). */
  nodes: Hex[];
  /** treeIndex of each input line, in input order (`tree.dump().values[i].treeIndex`). */
  treeIndex: number[];
}

function putUint(buf: Buffer, word: number, v: bigint): void {
  const off = word * 32;
  // uint256: write the low 256 bits as four 64-bit limbs, big-endian.
  for (let i = 3; i >= 0; i--) {
    buf.writeBigUInt64BE(v & 0xffff_ffff_ffff_ffffn, off + i * 8);
    v >>= 64n;
  }
}

function leafHash(l: DeviceLine, buf: Buffer): Uint8Array {
  buf.fill(0);
  putUint(buf, 0, l.networkId);
  putUint(buf, 1, l.epoch);
  buf.write(l.deviceId.slice(2), 64, 32, "hex");
  buf.write(l.owner.slice(2), 96 + 12, 20, "hex");
  putUint(buf, 4, BigInt(l.uptimeBps));
  putUint(buf, 5, l.work);
  putUint(buf, 6, l.reward);
  putUint(buf, 7, l.slash);
  return keccak_256(keccak_256(buf));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function buildLinesTreeNodes(lines: readonly DeviceLine[]): LinesTreeNodes {
  if (lines.length === 0) throw new Error("a lines tree needs at least one line");
  const buf = Buffer.alloc(256);
  const hashed = lines.map((l, i) => ({ i, h: leafHash(l, buf) }));
  hashed.sort((a, b) => compareBytes(a.h, b.h));
  const size = 2 * lines.length - 1;
  const tree: Uint8Array[] = new Array(size);
  const treeIndex: number[] = new Array(lines.length);
  hashed.forEach(({ i, h }, pos) => {
    tree[size - 1 - pos] = h;
    treeIndex[i] = size - 1 - pos;
  });
  const pair = new Uint8Array(64);
  for (let i = size - 1 - lines.length; i >= 0; i--) {
    const a = tree[2 * i + 1]!;
    const b = tree[2 * i + 2]!;
    if (compareBytes(a, b) <= 0) {
      pair.set(a, 0);
      pair.set(b, 32);
    } else {
      pair.set(b, 0);
      pair.set(a, 32);
    }
    tree[i] = keccak_256(pair);
  }
  const nodes = tree.map((n) => `0x${Buffer.from(n).toString("hex")}` as Hex);
  return { root: nodes[0]!, nodes, treeIndex };
}
