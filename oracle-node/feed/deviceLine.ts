import { encodeAbiParameters, type Hex, keccak256 } from "viem";
import type { DeviceLine } from "./source";

/** Leaf types of the device-line Merkle tree, in order (`docs/interfaces.md`). */
export const DEVICE_LINE_LEAF_TYPES = [
  "uint64",
  "uint64",
  "bytes32",
  "address",
  "uint32",
  "uint64",
  "uint256",
  "uint256",
] as const;

const LEAF_PARAMS = DEVICE_LINE_LEAF_TYPES.map((type) => ({ type }));

export type DeviceLineLeafValues = [bigint, bigint, Hex, Hex, number, bigint, bigint, bigint];

/** The line as the tuple the Merkle tree encodes. */
export function deviceLineValues(line: DeviceLine): DeviceLineLeafValues {
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

/**
 * The leaf hash OpenZeppelin's `StandardMerkleTree` and `MerkleProof.sol` use: the double keccak of
 * the ABI-encoded line (double so a leaf can never be mistaken for an inner node).
 */
export function hashDeviceLine(line: DeviceLine): Hex {
  return keccak256(keccak256(encodeAbiParameters(LEAF_PARAMS, deviceLineValues(line))));
}
