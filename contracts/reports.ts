import type { Address, Hex } from "viem";
import { encodeAbiParameters, keccak256 } from "viem";

/** Report kinds of the settlement contract's `onReport` body `abi.encode(uint8 kind, bytes payload)`. */
export const REPORT_KIND = { epochSettlement: 1, fraudSlash: 2 } as const;

export interface DeviceSlash {
  deviceId: Hex;
  amount: bigint;
  reason: number;
  /** keccak256 of the evidence bundle's canonical bytes. */
  evidenceHash: Hex;
}

/** One observation an epoch result was computed from: its observer (an oracle signer) and its hash. */
export interface ObservationRef {
  observer: Address;
  hash: Hex;
}

export interface EpochSettlement {
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
  observationsCommitment: Hex;
  deviceCount: number;
  /** Devices that qualified (weight > 0 in the reward formula): the verification fee's basis. */
  qualifiedCount: number;
  totalReward: bigint;
  totalSlash: bigint;
  slashes: readonly DeviceSlash[];
  /**
   * The observations behind `observationsCommitment` (any order: the encoding sorts them by observer, as the
   * contract wants them strictly ascending); the contract pays the operator share of the fee to them. Empty
   * for a timeout.
   */
  observations: readonly ObservationRef[];
}

const deviceSlashComponents = [
  { name: "deviceId", type: "bytes32" },
  { name: "amount", type: "uint256" },
  { name: "reason", type: "uint8" },
  { name: "evidenceHash", type: "bytes32" },
] as const;

const epochSettlementParameter = {
  type: "tuple",
  components: [
    { name: "networkId", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "resultRoot", type: "bytes32" },
    { name: "observationsCommitment", type: "bytes32" },
    { name: "deviceCount", type: "uint32" },
    { name: "qualifiedCount", type: "uint32" },
    { name: "totalReward", type: "uint256" },
    { name: "totalSlash", type: "uint256" },
    { name: "slashes", type: "tuple[]", components: deviceSlashComponents },
    {
      name: "observations",
      type: "tuple[]",
      components: [
        { name: "observer", type: "address" },
        { name: "hash", type: "bytes32" },
      ],
    },
  ],
} as const;

const bodyParameters = [{ type: "uint8" }, { type: "bytes" }] as const;

/** The report body of a kind 1 (epoch settlement) report, to follow the forwarder's 109-byte metadata. */
export function encodeEpochSettlementReport(settlement: EpochSettlement): Hex {
  // Ascending by address value, which is the order of lowercase hex (what `observationsCommitment` hashes).
  const observations = [...settlement.observations].sort((a, b) => {
    const x = a.observer.toLowerCase();
    const y = b.observer.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const payload = encodeAbiParameters([epochSettlementParameter], [{ ...settlement, observations }]);
  return encodeAbiParameters(bodyParameters, [REPORT_KIND.epochSettlement, payload]);
}

/** The report body of a kind 2 (fraud slash) report. */
export function encodeFraudSlashReport(networkId: bigint, epoch: bigint, slash: DeviceSlash): Hex {
  const payload = encodeAbiParameters(
    [{ type: "uint64" }, { type: "uint64" }, { type: "tuple", components: deviceSlashComponents }],
    [networkId, epoch, slash],
  );
  return encodeAbiParameters(bodyParameters, [REPORT_KIND.fraudSlash, payload]);
}

/** `beacon(0)` of a network: `keccak256(abi.encode("vigil.beacon", networkId))`. */
export function genesisBeacon(networkId: bigint): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "string" }, { type: "uint64" }], ["vigil.beacon", networkId]),
  );
}

/** `beacon(e + 1) = keccak256(abi.encode(beacon(e), resultRoot(e)))`. */
export function nextBeacon(beacon: Hex, resultRoot: Hex): Hex {
  return keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [beacon, resultRoot]));
}
