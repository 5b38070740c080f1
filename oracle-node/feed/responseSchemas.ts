// The JSON bodies the feed API answers with, in plain zod: the feed client parses them (and runs in
// browsers, so it must not load the OpenAPI extension), the API declares its routes with them
// (schemas.ts). `.meta({ id })` names each OpenAPI component: zod-to-openapi reads zod's registry.
import { z } from "zod";

const UINT64_MAX = 2n ** 64n - 1n;

/** A uint64 in decimal, as it appears in paths, queries and bodies. */
export const Uint64String = z
  .string()
  .regex(/^(0|[1-9]\d{0,19})$/, "must be a decimal unsigned integer without leading zeros")
  // zod 4 runs refinements even after the regex failed: only compare well-formed numbers.
  .refine((s) => !/^\d+$/.test(s) || BigInt(s) <= UINT64_MAX, "must fit in uint64");
export const UintString = z.string().regex(/^(0|[1-9]\d*)$/);
export const Bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const AddressString = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const HexString = z.string().regex(/^0x([0-9a-fA-F]{2})*$/);

export const DeviceLineJson = z
  .object({
    networkId: Uint64String,
    epoch: Uint64String,
    deviceId: Bytes32,
    owner: AddressString,
    uptimeBps: z.number().int().min(0).max(10_000),
    work: UintString,
    reward: UintString,
    slash: UintString,
  })
  .meta({ id: "DeviceLine" });

export const VoteJson = z
  .object({ signer: AddressString, signature: HexString })
  .meta({ id: "ResultVote", description: "EIP-712 ResultVote signature of one oracle signer" });

export const SlashJson = z
  .object({ deviceId: Bytes32, amount: UintString, reason: z.number().int(), evidenceHash: Bytes32 })
  .meta({ id: "DeviceSlash" });

const ResultHeader = {
  networkId: Uint64String,
  epoch: Uint64String,
  resultRoot: Bytes32,
  deviceCount: z.number().int(),
  /** Devices that qualified (weight > 0): the verification fee's basis in the settlement report. */
  qualifiedCount: z.number().int(),
  totalReward: UintString,
  totalSlash: UintString,
  settled: z.boolean(),
};

export const EpochSummaryJson = z.object(ResultHeader).meta({ id: "EpochSummary" });

export const EpochResultJson = z
  .object({
    ...ResultHeader,
    observationsCommitment: Bytes32,
    slashes: z.array(SlashJson),
    /** What `observationsCommitment` hashes, ascending by observer; the settlement report carries it. */
    observations: z.array(z.object({ observer: AddressString, hash: Bytes32 })),
    votes: z.array(VoteJson),
  })
  .meta({ id: "EpochResult" });

export const DeviceLineProofJson = z
  .object({
    line: DeviceLineJson,
    leaf: Bytes32,
    proof: z.array(Bytes32),
    result: z.object({ ...ResultHeader, observationsCommitment: Bytes32, votes: z.array(VoteJson) }),
  })
  .meta({ id: "DeviceLineProof" });

export const EpochPageJson = z
  .object({
    items: z.array(EpochSummaryJson),
    nextCursor: Uint64String.nullable(),
    prunedBefore: Uint64String.nullable().meta({
      description:
        "epochs below this one were deleted by the node's store retention, so the last page ends there; null when nothing was pruned",
    }),
  })
  .meta({ id: "EpochPage" });

export const DeviceHistoryPageJson = z
  .object({
    items: z.array(
      z.object({
        line: DeviceLineJson,
        leaf: Bytes32,
        proof: z.array(Bytes32),
        resultRoot: Bytes32,
        settled: z.boolean(),
      }),
    ),
    nextCursor: Uint64String.nullable(),
  })
  .meta({ id: "DeviceHistoryPage" });

export const NetworksJson = z
  .object({ items: z.array(z.object({ networkId: Uint64String })) })
  .meta({ id: "Networks" });

/** Name of the bulk export format (`GET .../epochs/{epoch}/export`), in its header line. */
export const EXPORT_FORMAT = "vigil-lines-ndjson/1";

export const ExportHeaderJson = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    /** ABI types of a line's leaf, as `StandardMerkleTree.dump().leafEncoding`. */
    leafEncoding: z.array(z.string()),
    /** Rows that follow the header: one per device, equal to `result.deviceCount`. */
    leafCount: z.number().int().min(0),
    result: EpochResultJson,
  })
  .meta({
    id: "ExportHeader",
    description:
      "first line of an export; then `leafCount` lines, each an `ExportRow`, by deviceId ascending",
  });

export const ExportRowJson = z
  .object({
    /** The leaf's index in the tree's node array, as in `StandardMerkleTree.dump().values[i].treeIndex`. */
    treeIndex: z.number().int().min(0),
    deviceId: Bytes32,
    owner: AddressString,
    uptimeBps: z.number().int().min(0).max(10_000),
    work: UintString,
    reward: UintString,
    slash: UintString,
  })
  .meta({
    id: "ExportRow",
    description: "one device's line of the exported epoch (networkId and epoch are the header's)",
  });

export const DevicePageJson = z
  .object({
    epoch: Uint64String,
    items: z.array(z.object({ deviceId: Bytes32, owner: AddressString })),
    nextCursor: Bytes32.nullable(),
  })
  .meta({ id: "DevicePage" });

export const DeviceReliabilityJson = z
  .object({
    networkId: Uint64String,
    deviceId: Bytes32,
    window: z.number().int().min(1).max(720).meta({ description: "W, the epochs asked for" }),
    fromEpoch: Uint64String,
    toEpoch: Uint64String.meta({ description: "the network's newest epoch this node saw settle" }),
    epochs: z
      .number()
      .int()
      .min(1)
      .max(720)
      .meta({ description: "epochs in the window: W, or fewer while the network is younger" }),
    epochsSettled: z
      .number()
      .int()
      .min(0)
      .meta({ description: "epochs of the window with a result (the rest timed out)" }),
    epochsWithLine: z.number().int().min(0),
    meanUptimeBps: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .nullable()
      .meta({ description: "mean uptime over the epochs with a line (floor); null without any" }),
    epochsAtSla: z.number().int().min(0).meta({ description: "epochs with uptime >= slaUptimeBps" }),
    slaUptimeBps: z.number().int(),
    slashes: z
      .number()
      .int()
      .min(0)
      .meta({ description: "epochs of the window where the device was slashed" }),
    scoreBps: z.number().int().min(0).max(10_000).meta({
      description:
        "mean uptime over every epoch of the window, absent and timed-out epochs counting 0 (floor); 0 if any slash in the window",
    }),
  })
  .meta({
    id: "DeviceReliability",
    description:
      "a device's reliability over its network's last W settled epochs, computed from its history (oracle-node/feed/reliability.ts; the client's getDeviceReliability recomputes it from proven lines)",
  });

/**
 * Largest evidence bundle a node accepts: the agreement's `MAX_EVIDENCE_BYTES`
 * (agreement/observationCodec.ts, not imported: it needs Node's Buffer and the client runs in browsers).
 */
export const MAX_EVIDENCE_BYTES = 64 * 1024;

export const FraudEvidenceJson = z
  .object({
    networkId: Uint64String,
    epoch: Uint64String,
    deviceId: Bytes32.meta({ description: "the device the bundle's challenge names (the node's word)" }),
    evidenceHash: Bytes32.meta({ description: "keccak256 of `evidence`: the `evidenceHash` of the slash" }),
    evidence: z
      .string()
      .regex(/^0x([0-9a-fA-F]{2})+$/, "must be 0x followed by whole bytes in hex")
      .max(2 + 2 * MAX_EVIDENCE_BYTES)
      .meta({
        description:
          "the signed evidence bundle in the attestation library's canonical encoding (challenge, salt, commit, response, signed by the challenger)",
      }),
  })
  .meta({
    id: "FraudEvidence",
    description:
      "a fraud evidence bundle the node verified; check keccak256(evidence) against the slash's on-chain `evidenceHash` and re-verify it with the attestation library (the client's `getSlashEvidence` does both)",
  });

export const ErrorJson = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: "Error" });

export type DeviceLineJson = z.infer<typeof DeviceLineJson>;
export type EpochResultJson = z.infer<typeof EpochResultJson>;
export type DeviceLineProofJson = z.infer<typeof DeviceLineProofJson>;
export type EpochPageJson = z.infer<typeof EpochPageJson>;
export type NetworksJson = z.infer<typeof NetworksJson>;
export type DeviceHistoryPageJson = z.infer<typeof DeviceHistoryPageJson>;
export type ExportHeaderJson = z.infer<typeof ExportHeaderJson>;
export type ExportRowJson = z.infer<typeof ExportRowJson>;
export type DevicePageJson = z.infer<typeof DevicePageJson>;
export type DeviceReliabilityJson = z.infer<typeof DeviceReliabilityJson>;
export type FraudEvidenceJson = z.infer<typeof FraudEvidenceJson>;
