import { create } from "@bufbuild/protobuf";
import { SDK_PB, VALUES_PB } from "@chainlink/cre-sdk/pb";
import { type Hex, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { DonConsensus, roundLeader } from "./consensus";
import { CreHostError } from "./errors";
import { encodeReportContext } from "./report";
import { createInProcessDon } from "./transport";
import { valueToJs } from "./values";

function makeDon(timeoutMs = 5_000) {
  const signers = Array.from({ length: 4 }, () => privateKeyToAccount(generatePrivateKey()));
  const transports = createInProcessDon(4);
  return signers.map(
    (signer, i) =>
      new DonConsensus({
        transport: transports[i]!,
        members: signers.map((s) => s.address),
        f: 1,
        signer,
        timeoutMs,
      }),
  );
}

const observation = (n: bigint) =>
  create(SDK_PB.SimpleConsensusInputsSchema, {
    observation: {
      case: "value",
      value: create(VALUES_PB.ValueSchema, { value: { case: "int64Value", value: n } }),
    },
    descriptors: { descriptor: { case: "aggregation", value: SDK_PB.AggregationType.MEDIAN } },
  });

/** An execution id whose round leader is `leader` in a DON of 4. */
function idLedBy(leader: number): Hex {
  for (let i = 0; ; i++) {
    const id = keccak256(toHex(`exec-${i}`));
    if (roundLeader(id, 4) === leader) return id;
  }
}

describe("DON consensus (in-process)", () => {
  it("completes Simple and Report with one non-leader node silent", async () => {
    const don = makeDon();
    const id = idLedBy(0);
    const live = don.slice(0, 3);
    const values = await Promise.all(live.map((d, i) => d.simple(id, 1, observation(BigInt(10 + i)))));
    expect(values.map(valueToJs)).toEqual([11n, 11n, 11n]);
    const ctx = encodeReportContext(new Uint8Array(32), 0n);
    const raw = new Uint8Array(120).fill(7);
    const reports = await Promise.all(
      live.map((d) =>
        d.report(
          id,
          2,
          ctx,
          () => raw,
          () => {},
        ),
      ),
    );
    for (const r of reports) expect(r.sigs).toHaveLength(2);
    for (const d of don) d.close();
  });

  it("fails with a typed timeout when the leader is silent", async () => {
    const don = makeDon(300);
    const id = idLedBy(3);
    const results = await Promise.allSettled(don.slice(0, 3).map((d) => d.simple(id, 1, observation(1n))));
    for (const r of results) {
      expect(r.status).toBe("rejected");
      const err = (r as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(CreHostError);
      expect(err.code).toBe("CONSENSUS_TIMEOUT");
    }
    for (const d of don) d.close();
  });

  it("a node that computed another body refuses to sign; the others still reach f+1", async () => {
    const don = makeDon();
    const id = idLedBy(1);
    const ctx = encodeReportContext(new Uint8Array(32), 0n);
    const raw = new Uint8Array(120).fill(1);
    const results = await Promise.allSettled(
      don.map((d, i) =>
        d.report(
          id,
          1,
          ctx,
          () => raw,
          () => {
            if (i === 2) throw new CreHostError("CONSENSUS_FAILED", "body differs");
          },
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    for (const d of don) d.close();
  });

  it("refuses a signer that is not the member at its index", () => {
    const [transport] = createInProcessDon(4);
    const members = Array.from({ length: 4 }, () => privateKeyToAccount(generatePrivateKey()).address);
    expect(
      () =>
        new DonConsensus({
          transport: transport!,
          members,
          f: 1,
          signer: privateKeyToAccount(generatePrivateKey()),
          timeoutMs: 1000,
        }),
    ).toThrow(/not the DON member/);
  });
});
