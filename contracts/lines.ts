import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Address, Hex } from "viem";
import { encodeAbiParameters, isAddress, isHex, keccak256, size } from "viem";

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

/** A line that cannot be a leaf (a field out of its Solidity type's range). */
export class InvalidLineError extends Error {
  readonly code = "INVALID_LINE";
  constructor(
    readonly field: keyof DeviceLine,
    readonly index: number,
    message: string,
  ) {
    super(`device line ${index}: ${field} ${message}`);
    this.name = "InvalidLineError";
  }
}

const UINT64_MAX = 2n ** 64n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;

/** Checks every field against its leaf type (the Merkle library would silently truncate or pad some). */
export function assertLine(line: DeviceLine, index = 0): void {
  const uint = (field: keyof DeviceLine, value: bigint, max: bigint) => {
    if (typeof value !== "bigint" || value < 0n || value > max) {
      throw new InvalidLineError(field, index, `must be a bigint in [0, ${max}]`);
    }
  };
  uint("networkId", line.networkId, UINT64_MAX);
  uint("epoch", line.epoch, UINT64_MAX);
  uint("work", line.work, UINT64_MAX);
  uint("reward", line.reward, UINT256_MAX);
  uint("slash", line.slash, UINT256_MAX);
  if (!isHex(line.deviceId, { strict: true }) || size(line.deviceId) !== 32) {
    throw new InvalidLineError("deviceId", index, "must be 32 bytes of hex (the Ed25519 public key)");
  }
  if (!isAddress(line.owner, { strict: false }))
    throw new InvalidLineError("owner", index, "must be an address");
  if (!Number.isInteger(line.uptimeBps) || line.uptimeBps < 0 || line.uptimeBps > 10_000) {
    throw new InvalidLineError("uptimeBps", index, "must be an integer in [0, 10000]");
  }
}

/**
 * Builds the epoch's `StandardMerkleTree`; its `root` is the report's `resultRoot`. Throws
 * `InvalidLineError` for a line that does not fit its leaf types.
 */
export function buildLinesTree(lines: readonly DeviceLine[]): LinesTree {
  lines.forEach(assertLine);
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
