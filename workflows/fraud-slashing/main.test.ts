import { blockNumber, type HTTPPayload, protoBigIntToBigint } from "@chainlink/cre-sdk";
import { EvmMock, newTestRuntime, test } from "@chainlink/cre-sdk/test";
import fc from "fast-check";
import {
  type Address,
  bytesToHex,
  decodeFunctionData,
  encodeFunctionResult,
  type Hex,
  hexToBytes,
  keccak256,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { assignedOracles } from "../../attestation/portable";
import {
  encodeFraudSlashReport,
  genesisBeacon,
  vigilRegistryAbi,
  vigilSettlementAbi,
} from "../../contracts/portable";
import type { Config } from "./config";
import { onEvidence, REJECTED } from "./main";
import { lastBlockBefore } from "./readJudges";
import { computeEvidence, testKey } from "./testEvidence";

const ANVIL_SELECTOR = 7759470850252068959n;
const config: Config = {
  networkId: "4",
  slashAmount: "750",
  authorizedKeys: [],
  chainSelectorName: "anvil-devnet",
  settlement: "0x00000000000000000000000000000000000000bb",
  registry: "0x00000000000000000000000000000000000000cc",
  gasLimit: "800000",
};

// The chain the EVM mock serves: 200 blocks 10 s apart, a network with 100 s epochs and k = 2.
// Block i is stamped GENESIS - 100 + 10 i: the head (199) lies in epoch 18, which starts at
// GENESIS + 1800, so the last block before its start is 189.
const GENESIS = 1_000_000n;
const EPOCH_LENGTH = 100;
const HEAD = 199n;
const timeOf = (n: bigint) => GENESIS - 100n + 10n * n;
const CURRENT = 18n;
/** The settlement's beacon moves at block 190, just after epoch 18 began (a settlement at the boundary). */
const PINNED_BEACON = keccak256(toHex("beacon before epoch 18"));
const LATER_BEACON = keccak256(toHex("beacon after a settlement at the boundary"));
const beaconAt = (n: bigint): Hex => (n < 150n ? genesisBeacon(4n) : n < 190n ? PINNED_BEACON : LATER_BEACON);

const operator = (i: number) => {
  const key = testKey(`operator-${i}`);
  const peerId = new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...key.publicKey]);
  return {
    key,
    signer: privateKeyToAccount(keccak256(toHex(`operator-${i}`))).address.toLowerCase() as Address,
    peerId: bytesToHex(peerId),
  };
};
/** Five active operators; the sixth registered after epoch 18 began (block 195). */
const operators = Array.from({ length: 6 }, (_, i) => operator(i));
const operatorsAt = (n: bigint) => operators.slice(0, n >= 195n ? 6 : 5);

const device = testKey("unit:device");
type Key = ReturnType<typeof testKey>;
const assigned = (beacon: Hex, at = 189n, of: Key = device) =>
  assignedOracles(
    hexToBytes(beacon),
    of.publicKey,
    operatorsAt(at).map((o) => ({ ...o, signer: hexToBytes(o.signer) })),
    2,
  );

const request = (evidence: Uint8Array) =>
  ({ input: new TextEncoder().encode(JSON.stringify({ evidence: bytesToHex(evidence) })) }) as HTTPPayload;
const b64 = (hex: Hex) => Buffer.from(hexToBytes(hex)).toString("base64");

/** Serves the chain above through the SDK's EVM mock; records reads (what, at which block) and writes. */
function mockChain() {
  const evm = EvmMock.testInstance(ANVIL_SELECTOR);
  const reads: { fn: string; at: bigint }[] = [];
  evm.headerByNumber = (req) => {
    const n = req.blockNumber ? protoBigIntToBigint(req.blockNumber) : HEAD;
    return { header: { blockNumber: blockNumber(n), timestamp: timeOf(n).toString() } };
  };
  evm.callContract = (req) => {
    const at = protoBigIntToBigint(req.blockNumber!);
    const to = bytesToHex(req.call!.to) as Address;
    const data = bytesToHex(req.call!.data);
    if (to === config.settlement) {
      const { functionName } = decodeFunctionData({ abi: vigilSettlementAbi, data });
      reads.push({ fn: functionName, at });
      if (functionName !== "beacon") throw new Error(`unexpected settlement call ${functionName}`);
      return {
        data: b64(
          encodeFunctionResult({ abi: vigilSettlementAbi, functionName: "beacon", result: beaconAt(at) }),
        ),
      };
    }
    if (to !== config.registry) return { data: "" }; // no code there
    const call = decodeFunctionData({ abi: vigilRegistryAbi, data });
    reads.push({ fn: call.functionName, at });
    if (call.functionName === "getNetwork")
      return {
        data: b64(
          encodeFunctionResult({
            abi: vigilRegistryAbi,
            functionName: "getNetwork",
            result: {
              owner: operators[0]!.signer,
              epochLength: call.args[0] === 4n ? EPOCH_LENGTH : 0,
              genesisTime: call.args[0] === 4n ? GENESIS : 0n,
              rewardBudgetPerEpoch: 0n,
              stakePerDevice: 0n,
              challengePolicyId: 0,
              k: call.args[0] === 4n ? 2 : 0,
              deviceCount: 0,
            },
          }),
        ),
      };
    if (call.functionName === "getOperators") {
      const [offset, limit] = call.args;
      const page = operatorsAt(at)
        .slice(Number(offset), Number(offset + limit))
        .map((o) => ({
          signer: o.signer,
          status: 1,
          exitAvailableAt: 0n,
          owner: o.signer,
          stake: 1n,
          slashed: 0n,
          peerId: o.peerId,
        }));
      return {
        data: b64(
          encodeFunctionResult({ abi: vigilRegistryAbi, functionName: "getOperators", result: page }),
        ),
      };
    }
    throw new Error(`unexpected registry call ${call.functionName}`);
  };
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
  return { reads, writes };
}

/** Evidence against `of` in `epoch`, signed by `challenger`, its challenge seeded from `beacon`. */
const evidenceBy = (challenger: { key: Key }, epoch: bigint, beacon: Hex, of: Key = device) => {
  const fraud = computeEvidence({
    networkId: 4n,
    epoch,
    label: "unit",
    challenger: challenger.key,
    device: of,
    beacon: hexToBytes(beacon),
  });
  if (fraud.verdict.status !== "fraud") throw new Error("fixture must prove fraud");
  return fraud.verdict.evidence;
};
const judge = assigned(PINNED_BEACON)[0]!;
const judgeOperator = operators.find((o) => o.signer === bytesToHex(judge.signer))!;
const evidence = evidenceBy(judgeOperator, CURRENT, PINNED_BEACON);
const run = (bytes: Uint8Array, c: Config = config) =>
  onEvidence(newTestRuntime<Config>(null, {}, c), request(bytes));

describe("fraud-slashing workflow", () => {
  test("re-verifies evidence from an assigned oracle and writes the kind-2 slash at once", () => {
    const { reads, writes } = mockChain();
    expect(run(evidence)).toMatch(/^slashed in 0x0101/);
    expect(writes).toEqual([
      {
        receiver: config.settlement,
        body: encodeFraudSlashReport(4n, CURRENT, {
          deviceId: bytesToHex(device.publicKey),
          amount: 750n,
          reason: 1,
          evidenceHash: keccak256(evidence),
        }),
      },
    ]);
    // The epoch window at the head; beacon, operators and k where the epoch began.
    expect(reads).toEqual([
      { fn: "getNetwork", at: HEAD },
      { fn: "beacon", at: 189n },
      { fn: "getOperators", at: 189n },
      { fn: "getNetwork", at: 189n },
    ]);
  });

  test("slashes evidence from the epoch just closed", () => {
    const { writes } = mockChain();
    // Epoch 17 starts at GENESIS + 1700: its last block before is 179, before the beacon moved.
    const lastEpoch = evidenceBy(judgeOperator, CURRENT - 1n, PINNED_BEACON);
    expect(run(lastEpoch)).toMatch(/^slashed in/);
    expect(writes).toHaveLength(1);
  });

  test("rejects evidence signed by a key no registry knows", () => {
    const { writes } = mockChain();
    const stranger = { key: testKey("stranger") };
    const out = run(evidenceBy(stranger, CURRENT, PINNED_BEACON));
    expect(out).toBe(`${REJECTED}NOT_ASSIGNED: challenger not assigned to the device in the epoch`);
    expect(writes).toEqual([]);
  });

  test("rejects evidence from a registered oracle that is not assigned to the device", () => {
    const { writes } = mockChain();
    const chosen = new Set(assigned(PINNED_BEACON).map((o) => bytesToHex(o.signer)));
    const bystander = operators.slice(0, 5).find((o) => !chosen.has(o.signer))!;
    const out = run(evidenceBy(bystander, CURRENT, PINNED_BEACON));
    expect(out).toBe(`${REJECTED}NOT_ASSIGNED: challenger not assigned to the device in the epoch`);
    expect(writes).toEqual([]);
  });

  test("rejects evidence from an oracle that registered after the epoch began", () => {
    const { writes } = mockChain();
    // A device the newcomer would watch had the operators been read at the head (block 195 on); the
    // epoch's assignment was fixed at block 189, before it existed.
    const newcomer = operators[5]!;
    let target = device;
    for (
      let i = 0;
      !assigned(PINNED_BEACON, HEAD, target).some((o) => bytesToHex(o.signer) === newcomer.signer);
      i++
    )
      target = testKey(`unit:device-${i}`);
    const out = run(evidenceBy(newcomer, CURRENT, PINNED_BEACON, target));
    expect(out).toBe(`${REJECTED}NOT_ASSIGNED: challenger not assigned to the device in the epoch`);
    expect(writes).toEqual([]);
  });

  test("rejects evidence whose challenge was seeded from another beacon than the epoch's pinned one", () => {
    const { writes } = mockChain();
    // The beacon at the head: what a node that read "the latest" after the boundary settlement used.
    for (const beacon of [LATER_BEACON, genesisBeacon(4n)]) {
      const out = run(evidenceBy(judgeOperator, CURRENT, beacon));
      expect(out).toBe(`${REJECTED}NOT_ASSIGNED: challenge seeded from another beacon than the epoch's`);
    }
    expect(writes).toEqual([]);
  });

  test("rejects evidence of a stale epoch, even from the oracle assigned then", () => {
    const { reads, writes } = mockChain();
    const stale = CURRENT - 2n;
    // Epoch 16 began after block 169, under the same beacon and operators: `judge` was assigned then
    // too, so only the epoch's age rejects the bundle.
    expect(bytesToHex(assigned(PINNED_BEACON, 169n)[0]!.signer)).toBe(judgeOperator.signer);
    const out = run(evidenceBy(judgeOperator, stale, PINNED_BEACON));
    expect(out).toBe(
      `${REJECTED}NOT_ASSIGNED: epoch ${stale} is closed to evidence (current epoch ${CURRENT}): only the current epoch and the one just closed may slash`,
    );
    expect(writes).toEqual([]);
    // Nothing past the epoch window was read.
    expect(reads).toEqual([{ fn: "getNetwork", at: HEAD }]);
  });

  test("rejects evidence of an epoch that has not begun on chain", () => {
    const { writes } = mockChain();
    const out = run(evidenceBy(judgeOperator, CURRENT + 1n, PINNED_BEACON));
    expect(out).toBe(
      `${REJECTED}NOT_ASSIGNED: epoch ${CURRENT + 1n} has not begun on chain (current epoch ${CURRENT})`,
    );
    expect(writes).toEqual([]);
  });

  test("rejects a tampered bundle and writes nothing", () => {
    const { writes } = mockChain();
    // Flip a byte of the fraudulent bundle, so its signature no longer verifies.
    const tampered = evidence.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(run(tampered).startsWith(REJECTED)).toBe(true);
    expect(writes).toEqual([]);
  });

  test("rejects evidence for another network", () => {
    const { writes } = mockChain();
    const out = run(evidence, { ...config, networkId: "5" });
    expect(out).toBe(`${REJECTED}WRONG_NETWORK: expected network 5, got 4`);
    expect(writes).toEqual([]);
  });

  test("rejects bytes that are not an evidence bundle", () => {
    const { writes } = mockChain();
    expect(run(new Uint8Array([1, 2, 3])).startsWith(REJECTED)).toBe(true);
    expect(writes).toEqual([]);
  });

  test("fails the execution when the settlement contract refuses the report", () => {
    mockChain();
    EvmMock.testInstance(ANVIL_SELECTOR).writeReport = () => ({
      txStatus: "TX_STATUS_SUCCESS",
      receiverContractExecutionStatus: "RECEIVER_CONTRACT_EXECUTION_STATUS_REVERTED",
      errorMessage: "UnknownNetwork(4)",
    });
    expect(() => run(evidence)).toThrow(/refused the slash.*UnknownNetwork\(4\)/);
  });

  test("fails the execution when the registry does not know the network", () => {
    mockChain();
    expect(() =>
      run(evidence, { ...config, registry: "0x00000000000000000000000000000000000000dd" }),
    ).toThrow(/has no network 4/);
  });

  test("fails the execution on a malformed request", () => {
    mockChain();
    expect(() =>
      onEvidence(newTestRuntime<Config>(null, {}, config), {
        input: new TextEncoder().encode(JSON.stringify({ evidence: "nope" })),
      } as HTTPPayload),
    ).toThrow(/bad slashing request/);
  });
});

describe("lastBlockBefore", () => {
  it("finds the last block stamped before a time, as a scan from genesis does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 300 }),
        fc.nat({ max: 1_000 }),
        (gaps, t) => {
          const stamps: bigint[] = [];
          for (const g of gaps) stamps.push((stamps.at(-1) ?? 100n) + BigInt(g));
          const timestamp = BigInt(t % (Number(stamps.at(-1)!) + 2));
          const head = BigInt(stamps.length - 1);
          // The workflow asks only once the head is stamped at or after the time.
          fc.pre(stamps.at(-1)! >= timestamp);
          let expected: bigint | null = null;
          for (let i = 0; i < stamps.length; i++) if (stamps[i]! < timestamp) expected = BigInt(i);
          expect(lastBlockBefore((n) => stamps[Number(n)]!, head, timestamp)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
