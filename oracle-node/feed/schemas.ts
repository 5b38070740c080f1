import { z } from "@hono/zod-openapi";

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

export const NetworkParams = z.object({
  networkId: Uint64String.openapi({ param: { name: "networkId", in: "path" }, example: "1" }),
});
export const EpochParams = NetworkParams.extend({
  epoch: Uint64String.openapi({ param: { name: "epoch", in: "path" }, example: "42" }),
});
const deviceIdParam = Bytes32.openapi({
  param: { name: "deviceId", in: "path" },
  description: "the device's raw 32-byte Ed25519 public key",
  example: `0x${"ab".repeat(32)}`,
});
export const DeviceLineParams = EpochParams.extend({ deviceId: deviceIdParam });
export const DeviceParams = NetworkParams.extend({ deviceId: deviceIdParam });

export function pageQuery(maxPageSize: number, defaultPageSize: number) {
  return z.object({
    limit: z.coerce
      .number()
      .int("limit must be an integer")
      .min(1)
      .max(maxPageSize)
      .default(defaultPageSize)
      .openapi({ param: { name: "limit", in: "query" }, example: defaultPageSize }),
    cursor: Uint64String.optional().openapi({
      param: { name: "cursor", in: "query" },
      description: "`nextCursor` of the previous page: only epochs before it are listed",
    }),
  });
}

export const StreamQuery = z.object({
  deviceId: Bytes32.optional().openapi({
    param: { name: "deviceId", in: "query" },
    description: "only this device's verdicts",
  }),
});

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
  .openapi("DeviceLine");

export const VoteJson = z
  .object({ signer: AddressString, signature: HexString })
  .openapi("ResultVote", { description: "EIP-712 ResultVote signature of one oracle signer" });

export const SlashJson = z
  .object({ deviceId: Bytes32, amount: UintString, reason: z.number().int(), evidenceHash: Bytes32 })
  .openapi("DeviceSlash");

const ResultHeader = {
  networkId: Uint64String,
  epoch: Uint64String,
  resultRoot: Bytes32,
  deviceCount: z.number().int(),
  totalReward: UintString,
  totalSlash: UintString,
  settled: z.boolean(),
};

export const EpochSummaryJson = z.object(ResultHeader).openapi("EpochSummary");

export const EpochResultJson = z
  .object({
    ...ResultHeader,
    observationsCommitment: Bytes32,
    slashes: z.array(SlashJson),
    votes: z.array(VoteJson),
  })
  .openapi("EpochResult");

export const DeviceLineProofJson = z
  .object({
    line: DeviceLineJson,
    leaf: Bytes32,
    proof: z.array(Bytes32),
    result: z.object({ ...ResultHeader, observationsCommitment: Bytes32, votes: z.array(VoteJson) }),
  })
  .openapi("DeviceLineProof");

export const EpochPageJson = z
  .object({
    items: z.array(EpochSummaryJson),
    nextCursor: Uint64String.nullable(),
    prunedBefore: Uint64String.nullable().openapi({
      description:
        "epochs below this one were deleted by the node's store retention, so the last page ends there; null when nothing was pruned",
    }),
  })
  .openapi("EpochPage");

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
  .openapi("DeviceHistoryPage");

export const NetworksJson = z
  .object({ items: z.array(z.object({ networkId: Uint64String })) })
  .openapi("Networks");

export const ErrorJson = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi("Error");

export type DeviceLineJson = z.infer<typeof DeviceLineJson>;
export type EpochResultJson = z.infer<typeof EpochResultJson>;
export type DeviceLineProofJson = z.infer<typeof DeviceLineProofJson>;
export type EpochPageJson = z.infer<typeof EpochPageJson>;
export type NetworksJson = z.infer<typeof NetworksJson>;
export type DeviceHistoryPageJson = z.infer<typeof DeviceHistoryPageJson>;
