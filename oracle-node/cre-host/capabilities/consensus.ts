import { create } from "@bufbuild/protobuf";
import { type Any, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { SDK_PB, VALUES_PB } from "@chainlink/cre-sdk/pb";
import { bytesToHex, concat, type Hex, hexToBytes, keccak256, toBytes } from "viem";
import type { DonConsensus } from "../consensus";
import { CreHostError } from "../errors";
import type { DonConfig } from "../host";
import { decodeRawReport, encodeReportContext, encodeReportMetadata, type ReportMetadata } from "../report";
import type { Capability } from "./types";

export interface ConsensusCapabilityOptions {
  consensus: DonConsensus;
  don: Pick<DonConfig, "id" | "configVersion" | "members" | "f">;
  workflowId: Hex;
  workflowName: Hex;
  workflowOwner: Hex;
  reportId: Hex;
  maxReportBytes: number;
}

/** Report metadata version CRE writes today. */
const REPORT_VERSION = 1;
/** How far a leader's report timestamp may be from this node's clock before it refuses to sign. */
const MAX_CLOCK_SKEW_S = 300;

/** A digest of the DON's configuration, standing in for OCR's config digest in the report context. */
export function donConfigDigest(don: ConsensusCapabilityOptions["don"]): Uint8Array {
  return hexToBytes(
    keccak256(
      concat([
        toBytes("vigil.cre.don"),
        toBytes(don.id, { size: 4 }),
        toBytes(don.configVersion, { size: 4 }),
        toBytes(don.f, { size: 1 }),
        ...don.members.map((m) => hexToBytes(m)),
      ]),
    ),
  );
}

/** `consensus@1.0.0-alpha`: `Simple` (aggregate node observations) and `Report` (sign a report). */
export function consensusCapability(opts: ConsensusCapabilityOptions): Capability {
  const configDigest = donConfigDigest(opts.don);
  return {
    id: "consensus@1.0.0-alpha",
    async call(method, payload: Any, ctx) {
      if (method === "Simple") {
        const input = anyUnpack(payload, SDK_PB.SimpleConsensusInputsSchema);
        if (!input)
          throw new CreHostError(
            "CAPABILITY_FAILED",
            "Simple consensus: payload is not SimpleConsensusInputs",
          );
        const value = await opts.consensus.simple(ctx.executionId, ctx.callbackId, input);
        return anyPack(VALUES_PB.ValueSchema, value);
      }
      if (method === "Report") {
        const input = anyUnpack(payload, SDK_PB.ReportRequestSchema);
        if (!input)
          throw new CreHostError("CAPABILITY_FAILED", "Report consensus: payload is not a ReportRequest");
        if (input.encoderName && input.encoderName !== "evm") {
          throw new CreHostError(
            "CAPABILITY_FAILED",
            `report encoder ${input.encoderName} is not supported (only evm)`,
          );
        }
        if (input.encodedPayload.length > opts.maxReportBytes) {
          throw new CreHostError(
            "REPORT_TOO_LARGE",
            `report body of ${input.encodedPayload.length} bytes exceeds the ${opts.maxReportBytes}-byte limit`,
            { size: input.encodedPayload.length, limit: opts.maxReportBytes },
          );
        }
        const expected = (timestamp: number): ReportMetadata => ({
          version: REPORT_VERSION,
          executionId: ctx.executionId,
          timestamp,
          donId: opts.don.id,
          donConfigVersion: opts.don.configVersion,
          workflowId: opts.workflowId,
          workflowName: opts.workflowName,
          workflowOwner: opts.workflowOwner,
          reportId: opts.reportId,
        });
        const reportContext = encodeReportContext(configDigest, 0n);
        const signed = await opts.consensus.report(
          ctx.executionId,
          ctx.callbackId,
          reportContext,
          () => concat([encodeReportMetadata(expected(Math.floor(Date.now() / 1000))), input.encodedPayload]),
          (raw) => {
            const { metadata, body } = decodeRawReport(raw);
            const mine = encodeReportMetadata(expected(metadata.timestamp));
            if (bytesToHex(raw.subarray(0, mine.length)) !== bytesToHex(mine)) {
              throw new CreHostError(
                "CONSENSUS_FAILED",
                "the leader proposed report metadata this node disagrees with",
              );
            }
            if (bytesToHex(body) !== bytesToHex(input.encodedPayload)) {
              throw new CreHostError(
                "CONSENSUS_FAILED",
                "the leader proposed a report body this node did not compute",
              );
            }
            if (Math.abs(metadata.timestamp - Date.now() / 1000) > MAX_CLOCK_SKEW_S) {
              throw new CreHostError(
                "CONSENSUS_FAILED",
                "the leader's report timestamp is too far from this node's clock",
              );
            }
          },
        );
        return anyPack(
          SDK_PB.ReportResponseSchema,
          create(SDK_PB.ReportResponseSchema, {
            configDigest,
            seqNr: 0n,
            reportContext: signed.reportContext,
            rawReport: signed.rawReport,
            sigs: signed.sigs,
          }),
        );
      }
      throw new CreHostError("CAPABILITY_NOT_FOUND", `consensus has no method ${method}`);
    },
  };
}
