import {
  bytesToHex,
  concat,
  type Hex,
  hexToBytes,
  keccak256,
  type LocalAccount,
  sha256,
  toBytes,
} from "viem";
import { CreHostError } from "./errors";

/** Length of the metadata header `KeystoneForwarder` expects before the report body. */
export const REPORT_METADATA_LENGTH = 109;
/** Length of the part of the header the forwarder keeps for itself (version .. config version). */
export const FORWARDER_METADATA_LENGTH = 45;

/** The fields of the forwarder's 109-byte report header. */
export interface ReportMetadata {
  version: number;
  /** 32 bytes. */
  executionId: Hex;
  /** Seconds since the epoch, uint32. */
  timestamp: number;
  donId: number;
  donConfigVersion: number;
  /** 32 bytes (the workflow's CID). */
  workflowId: Hex;
  /** 10 bytes, see {@link workflowNameToBytes10}. */
  workflowName: Hex;
  /** 20 bytes. */
  workflowOwner: Hex;
  /** 2 bytes. */
  reportId: Hex;
}

/**
 * The `bytes10` workflow name CRE writes into report metadata, the value a consumer contract
 * compares against: the hex-encoded SHA-256 of the UTF-8 name, truncated to its first 10
 * characters, taken as ASCII bytes (chainlink-common `workflows.HashTruncateName`). For example
 * "my-workflow" → sha256 hex "889158b6ac…" → the ASCII of "889158b6ac", `0x38383931353862366163`.
 */
export function workflowNameToBytes10(name: string): Hex {
  const hex = sha256(toBytes(name)).slice(2, 12);
  return bytesToHex(new TextEncoder().encode(hex));
}

/**
 * CRE's workflow id: SHA-256 over owner (20 bytes), name, workflow binary, config and secrets URL,
 * with the first byte replaced by the version byte 0 (chainlink-common `GenerateWorkflowID`). Here
 * the "binary" is the esbuild bundle the node runs, so ids differ from a WASM deployment's.
 */
export function computeWorkflowId(args: {
  owner: Hex;
  name: string;
  binary: Uint8Array;
  config: Uint8Array;
  secretsUrl?: string;
}): Hex {
  const digest = hexToBytes(
    sha256(
      concat([
        hexToBytes(args.owner),
        toBytes(args.name),
        args.binary,
        args.config,
        toBytes(args.secretsUrl ?? ""),
      ]),
    ),
  );
  digest[0] = 0;
  return bytesToHex(digest);
}

/** CRE's execution id: SHA-256 of the workflow id (hex, no 0x) followed by the trigger event id. */
export function computeExecutionId(workflowId: Hex, eventId: string): Hex {
  return sha256(toBytes(`${workflowId.slice(2)}${eventId}`));
}

function fixed(hex: Hex, size: number, field: string): Uint8Array {
  const bytes = hexToBytes(hex);
  if (bytes.length !== size) {
    throw new CreHostError(
      "INVALID_CONFIG",
      `report metadata ${field} must be ${size} bytes, got ${bytes.length}`,
      {
        field,
      },
    );
  }
  return bytes;
}

function uint32(value: number, field: string): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new CreHostError("INVALID_CONFIG", `report metadata ${field} must be a uint32, got ${value}`, {
      field,
    });
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

/** Encodes the 109-byte header in the forwarder's layout (see `KeystoneForwarder._getMetadata`). */
export function encodeReportMetadata(m: ReportMetadata): Uint8Array {
  if (!Number.isInteger(m.version) || m.version < 0 || m.version > 255) {
    throw new CreHostError("INVALID_CONFIG", `report version must be a uint8, got ${m.version}`);
  }
  const out = concat([
    Uint8Array.of(m.version),
    fixed(m.executionId, 32, "executionId"),
    uint32(m.timestamp, "timestamp"),
    uint32(m.donId, "donId"),
    uint32(m.donConfigVersion, "donConfigVersion"),
    fixed(m.workflowId, 32, "workflowId"),
    fixed(m.workflowName, 10, "workflowName"),
    fixed(m.workflowOwner, 20, "workflowOwner"),
    fixed(m.reportId, 2, "reportId"),
  ]);
  return out;
}

/** Splits a raw report back into its header fields and body. */
export function decodeRawReport(raw: Uint8Array): { metadata: ReportMetadata; body: Uint8Array } {
  if (raw.length < REPORT_METADATA_LENGTH) {
    throw new CreHostError("INVALID_CONFIG", `raw report is ${raw.length} bytes, shorter than its header`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return {
    metadata: {
      version: raw[0]!,
      executionId: bytesToHex(raw.subarray(1, 33)),
      timestamp: view.getUint32(33, false),
      donId: view.getUint32(37, false),
      donConfigVersion: view.getUint32(41, false),
      workflowId: bytesToHex(raw.subarray(45, 77)),
      workflowName: bytesToHex(raw.subarray(77, 87)),
      workflowOwner: bytesToHex(raw.subarray(87, 107)),
      reportId: bytesToHex(raw.subarray(107, 109)),
    },
    body: raw.subarray(REPORT_METADATA_LENGTH),
  };
}

/**
 * The 96-byte report context signed alongside the report: config digest, then the sequence number
 * as a big-endian uint64 in the next word (where the SDK's `Report.parse` reads it), then a zero word.
 */
export function encodeReportContext(configDigest: Uint8Array, seqNr: bigint): Uint8Array {
  if (configDigest.length !== 32) {
    throw new CreHostError("INVALID_CONFIG", "config digest must be 32 bytes");
  }
  const out = new Uint8Array(96);
  out.set(configDigest, 0);
  new DataView(out.buffer).setBigUint64(32, seqNr, false);
  return out;
}

/** The digest every signer signs and the forwarder recovers: keccak256(keccak256(raw) ‖ context). */
export function reportDigest(rawReport: Uint8Array, reportContext: Uint8Array): Hex {
  return keccak256(concat([hexToBytes(keccak256(rawReport)), reportContext]));
}

/** Signs a report as the forwarder verifies it: 65 bytes r ‖ s ‖ v with v in {0, 1}. */
export async function signReport(
  account: LocalAccount,
  rawReport: Uint8Array,
  reportContext: Uint8Array,
): Promise<Uint8Array> {
  if (!account.sign) throw new CreHostError("INVALID_CONFIG", "report signer cannot sign raw digests");
  const sig = hexToBytes(await account.sign({ hash: reportDigest(rawReport, reportContext) }));
  // viem returns v as 27/28; the forwarder adds 27 itself.
  sig[64] = sig[64]! >= 27 ? sig[64]! - 27 : sig[64]!;
  return sig;
}
