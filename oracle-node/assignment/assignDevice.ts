import { type Address, bytesToBigInt, getAddress, type Hex, hexToBytes, isAddress, isHex } from "viem";
import { keccak256Bytes } from "../keccak";
import { AssignmentError } from "./errors";

export interface AssignDeviceParameters {
  /** The epoch's beacon (bytes32), from the settlement contract. */
  beacon: Hex;
  /** The device id (bytes32, its Ed25519 public key). */
  deviceId: Hex;
  /** Signer addresses of the registered oracle nodes. Order does not matter. */
  nodes: readonly Address[];
  /** How many nodes watch each device; capped at the number of nodes. */
  k: number;
}

function bytes32(value: Hex, name: string): Uint8Array {
  if (!isHex(value) || value.length !== 66)
    throw new AssignmentError("ASSIGNMENT_INVALID_INPUT", `${name} must be 32 bytes of hex, got ${value}`);
  return hexToBytes(value);
}

/**
 * Rendezvous score of one node for one device, as pinned in docs/interfaces.md:
 * `uint256(keccak256(abi.encodePacked(beacon, deviceId, signerAddress)))`.
 */
export function assignmentScore(beacon: Hex, deviceId: Hex, node: Address): bigint {
  const packed = new Uint8Array(84);
  packed.set(bytes32(beacon, "beacon"), 0);
  packed.set(bytes32(deviceId, "deviceId"), 32);
  packed.set(hexToBytes(node), 64);
  return bytesToBigInt(keccak256Bytes(packed));
}

/** A prepared assignment: the beacon and node list are decoded once, then each device costs n hashes. */
export function createAssigner(parameters: Omit<AssignDeviceParameters, "deviceId">) {
  const { k } = parameters;
  if (!Number.isInteger(k) || k < 1)
    throw new AssignmentError("ASSIGNMENT_INVALID_INPUT", `k must be a positive integer, got ${k}`);
  const seen = new Set<string>();
  const nodes = parameters.nodes.map((node) => {
    if (!isAddress(node, { strict: false }))
      throw new AssignmentError("ASSIGNMENT_INVALID_INPUT", `node must be an address, got ${node}`);
    const address = getAddress(node.toLowerCase());
    if (seen.has(address)) throw new AssignmentError("ASSIGNMENT_INVALID_INPUT", `duplicate node ${address}`);
    seen.add(address);
    // Tie order is by numeric address value, which lowercase hex compares the same way.
    return { address, bytes: hexToBytes(address), key: address.toLowerCase() };
  });
  const packed = new Uint8Array(84);
  packed.set(bytes32(parameters.beacon, "beacon"), 0);
  const take = Math.min(k, nodes.length);
  return (deviceId: Hex): Address[] => {
    packed.set(bytes32(deviceId, "deviceId"), 32);
    // Scores compare as 32-byte big-endian numbers, so comparing the digests' bytes is enough.
    const scored = nodes.map((node) => {
      packed.set(node.bytes, 64);
      const d = keccak256Bytes(packed);
      return { node, score: Buffer.from(d.buffer, d.byteOffset, d.byteLength) };
    });
    scored.sort((a, b) => Buffer.compare(b.score, a.score) || (a.node.key < b.node.key ? -1 : 1));
    return scored.slice(0, take).map((s) => s.node.address);
  };
}

/**
 * The `k` oracle nodes that watch a device in an epoch: highest rendezvous score first (ties: lower
 * address first). Pure: anyone with the beacon and the registry's node list gets the same answer.
 */
export function assignDevice(parameters: AssignDeviceParameters): Address[] {
  return createAssigner(parameters)(parameters.deviceId);
}
