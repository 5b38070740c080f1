import { z } from "@hono/zod-openapi";
import { RELIABILITY_WINDOW_DEFAULT, RELIABILITY_WINDOW_MAX } from "./reliability";
import { Bytes32, Uint64String } from "./responseSchemas";

// Response bodies live in responseSchemas.ts (plain zod, shared with the feed client); this file adds
// the request side: path and query parameters with their OpenAPI annotations. Those built on the
// plain schemas annotate with `.meta()`: `.openapi()` exists only on schemas created after
// @hono/zod-openapi loaded, and responseSchemas.ts may load first (the client imports it alone).
export * from "./responseSchemas";

export const NetworkParams = z.object({
  networkId: Uint64String.meta({ param: { name: "networkId", in: "path" }, example: "1" }),
});
export const EpochParams = NetworkParams.extend({
  epoch: Uint64String.meta({ param: { name: "epoch", in: "path" }, example: "42" }),
});
const deviceIdParam = Bytes32.meta({
  param: { name: "deviceId", in: "path" },
  description: "the device's raw 32-byte Ed25519 public key",
  example: `0x${"ab".repeat(32)}`,
});
export const DeviceLineParams = EpochParams.extend({ deviceId: deviceIdParam });
export const DeviceParams = NetworkParams.extend({ deviceId: deviceIdParam });
export const EvidenceParams = EpochParams.extend({
  evidenceHash: Bytes32.meta({
    param: { name: "evidenceHash", in: "path" },
    description: "keccak256 of the bundle: the `evidenceHash` of the slash (`DeviceSlashApplied` on chain)",
    example: `0x${"cd".repeat(32)}`,
  }),
});

export const ReliabilityQuery = z.object({
  window: z.coerce
    .number()
    .int("window must be an integer")
    .min(1)
    .max(RELIABILITY_WINDOW_MAX)
    .default(RELIABILITY_WINDOW_DEFAULT)
    .openapi({
      param: { name: "window", in: "query" },
      description: `W: how many of the network's last settled epochs the score covers (1..${RELIABILITY_WINDOW_MAX})`,
      example: RELIABILITY_WINDOW_DEFAULT,
    }),
});

export function pageQuery(maxPageSize: number, defaultPageSize: number) {
  return z.object({
    limit: z.coerce
      .number()
      .int("limit must be an integer")
      .min(1)
      .max(maxPageSize)
      .default(defaultPageSize)
      .openapi({ param: { name: "limit", in: "query" }, example: defaultPageSize }),
    cursor: Uint64String.optional().meta({
      param: { name: "cursor", in: "query" },
      description: "`nextCursor` of the previous page: only epochs before it are listed",
    }),
  });
}

export function devicesQuery(maxPageSize: number, defaultPageSize: number) {
  return z.object({
    epoch: Uint64String.optional().meta({
      param: { name: "epoch", in: "query" },
      description: "the epoch whose result lists the devices; default the newest epoch with a result",
    }),
    limit: z.coerce
      .number()
      .int("limit must be an integer")
      .min(1)
      .max(maxPageSize)
      .default(defaultPageSize)
      .openapi({ param: { name: "limit", in: "query" }, example: defaultPageSize }),
    cursor: Bytes32.optional().meta({
      param: { name: "cursor", in: "query" },
      description: "`nextCursor` of the previous page: only devices after it are listed",
    }),
  });
}

export const StreamQuery = z.object({
  deviceId: Bytes32.optional().meta({
    param: { name: "deviceId", in: "query" },
    description: "only this device's verdicts",
  }),
});
