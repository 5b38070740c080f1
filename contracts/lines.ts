import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Address, Hex } from "viem";
import { encodeAbiParameters, keccak256 } from "viem";

/**
 * Leaf types of the device-line tree, in order (docs/interfaces.md, "Device line"):
 * networkId, epoch, deviceId, owner, uptimeBps, work, reward, slash.
 */
export const LINE_LEAF_TYPES = [
  "uint64",
  "uint64",
  "bytes32",
  "address",
  "uint32",
  "uint64",
  "uint256",
  "uint256",
] as const;

/**
 * One device's result in one epoch. Field types follow viem's ABI mapping (uint32 is a `number`, wider
 * integers are `bigint`) so a line can be passed as-is to `claim`, `verifyLine` and friends.
 */
export interface DeviceLine {
  networkId: bigint;
  epoch: bigint;
  /** Raw 32-byte Ed25519 public key of the device. */
  deviceId: Hex;
  owner: Address;
  /** 0..10000. */
  uptimeBps: number;
  work: bigint;
  reward: bigint;
  slash: bigint;
}

export type LineValues = [bigint, bigint, Hex, Address, number, bigint, bigint, bigint];

export type LinesTree = StandardMerkleTree<LineValues>;

/** The leaf values of a line in `LINE_LEAF_TYPES` order. */
export function lineValues(line: DeviceLine): LineValues {
  return [
    line.networkId,
    line.epoch,
    line.deviceId,
    line.owner,
    line.uptimeBps,
    line.work,
    line.reward,
    line.slash,
  ];
}

/** Builds the epoch's `StandardMerkleTree`; its `root` is the report's `resultRoot`. */
export function buildLinesTree(lines: readonly DeviceLine[]): LinesTree {
  return StandardMerkleTree.of(lines.map(lineValues), [...LINE_LEAF_TYPES]);
}

/** The Merkle proof of `line` in `tree`. Throws if the line is not in the tree. */
export function lineProof(tree: LinesTree, line: DeviceLine): Hex[] {
  return tree.getProof(lineValues(line)) as Hex[];
}

/** The leaf hash of a line, as `StandardMerkleTree` and the contract's `lineLeaf` compute it. */
export function lineLeaf(line: DeviceLine): Hex {
  const encoded = encodeAbiParameters(
    LINE_LEAF_TYPES.map((type) => ({ type })),
    lineValues(line),
  );
  return keccak256(keccak256(encoded));
}
