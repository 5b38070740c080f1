import type { HTTPPayload } from "@chainlink/cre-sdk";
import { EvmMock, newTestRuntime, test } from "@chainlink/cre-sdk/test";
import { bytesToHex, type Hex, keccak256 } from "viem";
import { describe, expect } from "vitest";
import { encodeFraudSlashReport } from "../../contracts/reports";
import type { Config } from "./config";
import { onEvidence, REJECTED } from "./main";
import { computeEvidence } from "./testEvidence";

const ANVIL_SELECTOR = 7759470850252068959n;
const config: Config = {
  networkId: "4",
  slashAmount: "750",
  authorizedKeys: [],
  chainSelectorName: "anvil-devnet",
  settlement: "0x00000000000000000000000000000000000000bb",
  gasLimit: "800000",
};
const fraud = computeEvidence(4n, 9n, "unit");
if (fraud.verdict.status !== "fraud") throw new Error("fixture must prove fraud");
const evidence = fraud.verdict.evidence;

const request = (body: unknown) => ({ input: new TextEncoder().encode(JSON.stringify(body)) }) as HTTPPayload;

function mockWrites() {
  const evm = EvmMock.testInstance(ANVIL_SELECTOR);
  const writes: { receiver: Hex; body: Hex }[] = [];
  evm.writeReport = (req) => {
    writes.push({
      receiver: bytesToHex(req.receiver),
      body: bytesToHex(req.report!.rawReport.subarray(109)),
    });
    return {
      txStatus: "TX_STATUS_SUCCESS",
      txHash: Buffer.from(new Uint8Array(32).fill(1)).toString("base64"),
    };
  };
  return writes;
}

describe("fraud-slashing workflow", () => {
  test("re-verifies the evidence and writes the kind-2 slash at once", () => {
    const writes = mockWrites();
    const out = onEvidence(
      newTestRuntime<Config>(null, {}, config),
      request({ evidence: bytesToHex(evidence) }),
    );
    expect(out).toMatch(/^slashed in 0x0101/);
    expect(writes).toEqual([
      {
        receiver: config.settlement,
        body: encodeFraudSlashReport(4n, 9n, {
          deviceId: bytesToHex(fraud.deviceId),
          amount: 750n,
          reason: 1,
          evidenceHash: keccak256(evidence),
        }),
      },
    ]);
  });

  test("rejects a tampered bundle and writes nothing", () => {
    const writes = mockWrites();
    // Flip a byte of the fraudulent bundle, so its signature no longer verifies.
    const tampered = evidence.slice();
    tampered[tampered.length - 1]! ^= 1;
    const out = onEvidence(
      newTestRuntime<Config>(null, {}, config),
      request({ evidence: bytesToHex(tampered) }),
    );
    expect(out.startsWith(REJECTED)).toBe(true);
    expect(writes).toEqual([]);
  });

  test("rejects evidence for another network", () => {
    const writes = mockWrites();
    const out = onEvidence(
      newTestRuntime<Config>(null, {}, { ...config, networkId: "5" }),
      request({ evidence: bytesToHex(evidence) }),
    );
    expect(out.startsWith(REJECTED)).toBe(true);
    expect(writes).toEqual([]);
  });

  test("fails the execution on a malformed request", () => {
    mockWrites();
    expect(() => onEvidence(newTestRuntime<Config>(null, {}, config), request({ evidence: "nope" }))).toThrow(
      /bad slashing request/,
    );
  });
});
