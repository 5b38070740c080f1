import { bytesToHex, hexToBytes, recoverAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { CreHostError } from "./errors";
import {
  computeExecutionId,
  computeWorkflowId,
  decodeRawReport,
  encodeReportContext,
  encodeReportMetadata,
  REPORT_METADATA_LENGTH,
  type ReportMetadata,
  reportDigest,
  signReport,
  workflowNameToBytes10,
} from "./report";

const metadata: ReportMetadata = {
  version: 1,
  executionId: `0x${"01".repeat(32)}`,
  timestamp: 1_767_225_600,
  donId: 7,
  donConfigVersion: 3,
  workflowId: `0x00${"02".repeat(31)}`,
  workflowName: workflowNameToBytes10("vigil-epoch-settlement"),
  workflowOwner: `0x${"03".repeat(20)}`,
  reportId: "0x0001",
};

describe("report format", () => {
  it("derives the bytes10 workflow name as CRE does (first 10 hex chars of sha256, as ASCII)", () => {
    expect(workflowNameToBytes10("my-workflow")).toBe(bytesToHex(new TextEncoder().encode("889158b6ac")));
    expect(workflowNameToBytes10("vigil-epoch-settlement")).toBe(
      bytesToHex(new TextEncoder().encode("dea7bb3ab0")),
    );
    expect(workflowNameToBytes10("vigil-fraud-slashing")).toBe(
      bytesToHex(new TextEncoder().encode("385c69fd23")),
    );
  });

  it("encodes the 109-byte header at the forwarder's offsets and decodes it back", () => {
    const header = encodeReportMetadata(metadata);
    expect(header).toHaveLength(REPORT_METADATA_LENGTH);
    expect(header[0]).toBe(1);
    expect(bytesToHex(header.subarray(37, 41))).toBe("0x00000007");
    expect(bytesToHex(header.subarray(45, 77))).toBe(metadata.workflowId);
    expect(bytesToHex(header.subarray(107, 109))).toBe("0x0001");
    const raw = new Uint8Array([...header, 0xde, 0xad]);
    expect(decodeRawReport(raw)).toEqual({ metadata, body: new Uint8Array([0xde, 0xad]) });
  });

  it("rejects wrong field sizes with a typed error", () => {
    expect(() => encodeReportMetadata({ ...metadata, reportId: "0x01" })).toThrow(CreHostError);
    expect(() => encodeReportMetadata({ ...metadata, timestamp: 2 ** 32 })).toThrow(/uint32/);
    expect(() => decodeRawReport(new Uint8Array(50))).toThrow(/shorter than its header/);
  });

  it("signs r|s|v with v in {0,1} over keccak256(keccak256(raw) || context)", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const raw = new Uint8Array([...encodeReportMetadata(metadata), 1, 2, 3]);
    const ctx = encodeReportContext(new Uint8Array(32).fill(9), 5n);
    expect(ctx).toHaveLength(96);
    const sig = await signReport(account, raw, ctx);
    expect(sig).toHaveLength(65);
    expect(sig[64]! <= 1).toBe(true);
    const withV = sig.slice();
    withV[64] = withV[64]! + 27;
    expect(await recoverAddress({ hash: reportDigest(raw, ctx), signature: bytesToHex(withV) })).toBe(
      account.address,
    );
  });

  it("computes workflow and execution ids deterministically, with the version byte 0", () => {
    const id = computeWorkflowId({
      owner: metadata.workflowOwner,
      name: "w",
      binary: hexToBytes("0x01"),
      config: hexToBytes("0x02"),
    });
    expect(id.slice(0, 4)).toBe("0x00");
    expect(computeExecutionId(id, "e")).toBe(computeExecutionId(id, "e"));
    expect(computeExecutionId(id, "e")).not.toBe(computeExecutionId(id, "f"));
  });
});
