import type { CronPayload } from "@chainlink/cre-sdk";
import { EvmMock, HttpActionsMock, newTestRuntime, test } from "@chainlink/cre-sdk/test";
import {
  bytesToHex,
  decodeFunctionData,
  encodeAbiParameters,
  type Hex,
  parseAbi,
  toHex,
  zeroHash,
} from "viem";
import { describe, expect } from "vitest";
import { encodeEpochSettlementReport } from "../../contracts/portable";
import type { Config } from "./config";
import { onTick } from "./main";

const ANVIL_SELECTOR = 7759470850252068959n;
const config: Config = {
  networkId: "3",
  schedule: "0 */5 * * * *",
  nodeApiUrl: "http://node.local:8080/",
  chainSelectorName: "anvil-devnet",
  settlement: "0x00000000000000000000000000000000000000aa",
  gasLimit: "900000",
};
const result = {
  networkId: "3",
  epoch: "7",
  resultRoot: `0x${"11".repeat(32)}`,
  observationsCommitment: `0x${"22".repeat(32)}`,
  deviceCount: 5,
  qualifiedCount: 4,
  totalReward: "1000000000000000000000",
  totalSlash: "5",
  settled: false,
  slashes: [
    { deviceId: `0x${"33".repeat(32)}`, amount: "5", reason: 2, evidenceHash: `0x${"44".repeat(32)}` },
  ],
  observations: [
    { observer: `0x${"0b".repeat(20)}`, hash: `0x${"55".repeat(32)}` },
    { observer: `0x${"0a".repeat(20)}`, hash: `0x${"66".repeat(32)}` },
  ],
  votes: [],
};
const b64 = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === "string" ? bytes : bytes).toString("base64");

const settlementAbi = parseAbi([
  "function nextEpoch(uint64) view returns (uint64)",
  "function settlementTimedOut(uint64) view returns (bool)",
]);

/** The settlement contract as the workflow reads it: `nextEpoch`, and whether its timeout passed. */
function mockChain(nextEpoch: bigint, timedOut = false, receiverReverts = false) {
  const evm = EvmMock.testInstance(ANVIL_SELECTOR);
  const calls: Hex[] = [];
  evm.callContract = (req) => {
    const data = bytesToHex(req.call!.data);
    calls.push(data);
    const { functionName } = decodeFunctionData({ abi: settlementAbi, data });
    const encoded =
      functionName === "nextEpoch"
        ? encodeAbiParameters([{ type: "uint64" }], [nextEpoch])
        : encodeAbiParameters([{ type: "bool" }], [timedOut]);
    return { data: b64(Buffer.from(encoded.slice(2), "hex")) };
  };
  const writes: { receiver: Hex; body: Hex; gasLimit: bigint }[] = [];
  evm.writeReport = (req) => {
    writes.push({
      receiver: bytesToHex(req.receiver),
      body: bytesToHex(req.report!.rawReport.subarray(109)),
      gasLimit: req.gasConfig!.gasLimit,
    });
    return {
      txStatus: "TX_STATUS_SUCCESS",
      txHash: b64(new Uint8Array(32).fill(0xab)),
      ...(receiverReverts
        ? { receiverContractExecutionStatus: "RECEIVER_CONTRACT_EXECUTION_STATUS_REVERTED" }
        : {}),
    };
  };
  return { calls, writes };
}

describe("epoch-settlement workflow", () => {
  test("settles the epoch the contract expects with the body built from the node API's result", () => {
    const { calls, writes } = mockChain(7n);
    const http = HttpActionsMock.testInstance();
    const urls: string[] = [];
    http.sendRequest = (req) => {
      urls.push(req.url);
      return { statusCode: 200, body: b64(new TextEncoder().encode(JSON.stringify(result))) };
    };
    const runtime = newTestRuntime<Config>(null, {}, config);
    const out = onTick(runtime, {} as CronPayload);

    expect(out).toBe(`settled epoch 7 in ${toHex(new Uint8Array(32).fill(0xab))}`);
    expect(urls).toEqual(["http://node.local:8080/v1/networks/3/epochs/7"]);
    expect(decodeFunctionData({ abi: settlementAbi, data: calls[0]! })).toMatchObject({
      functionName: "nextEpoch",
      args: [3n],
    });
    // A result exists: the timeout is not even asked.
    expect(calls).toHaveLength(1);
    expect(writes).toEqual([
      {
        receiver: config.settlement,
        gasLimit: 900000n,
        body: encodeEpochSettlementReport({
          networkId: 3n,
          epoch: 7n,
          resultRoot: result.resultRoot as Hex,
          observationsCommitment: result.observationsCommitment as Hex,
          deviceCount: 5,
          qualifiedCount: 4,
          totalReward: 10n ** 21n,
          totalSlash: 5n,
          slashes: [
            { deviceId: `0x${"33".repeat(32)}`, amount: 5n, reason: 2, evidenceHash: `0x${"44".repeat(32)}` },
          ],
          observations: [
            { observer: `0x${"0a".repeat(20)}`, hash: `0x${"66".repeat(32)}` },
            { observer: `0x${"0b".repeat(20)}`, hash: `0x${"55".repeat(32)}` },
          ],
        }),
      },
    ]);
  });

  test("writes nothing while the node API has no agreed result for the epoch", () => {
    const { writes } = mockChain(8n);
    const http = HttpActionsMock.testInstance();
    http.sendRequest = () => ({ statusCode: 404, body: b64("{}") });
    const runtime = newTestRuntime<Config>(null, {}, config);
    expect(onTick(runtime, {} as CronPayload)).toBe("epoch 8 not ready");
    expect(writes).toEqual([]);
  });

  test("settles an epoch nobody certified as an explicit timeout once the contract's timeout passed", () => {
    const { calls, writes } = mockChain(8n, true);
    const http = HttpActionsMock.testInstance();
    http.sendRequest = () => ({ statusCode: 404, body: b64("{}") });
    const out = onTick(newTestRuntime<Config>(null, {}, config), {} as CronPayload);
    expect(out).toBe(`settled by timeout epoch 8 in ${toHex(new Uint8Array(32).fill(0xab))}`);
    expect(decodeFunctionData({ abi: settlementAbi, data: calls[1]! }).functionName).toBe(
      "settlementTimedOut",
    );
    expect(writes.map((w) => w.body)).toEqual([
      encodeEpochSettlementReport({
        networkId: 3n,
        epoch: 8n,
        resultRoot: zeroHash,
        observationsCommitment: zeroHash,
        deviceCount: 0,
        qualifiedCount: 0,
        totalReward: 0n,
        totalSlash: 0n,
        slashes: [],
        observations: [],
      }),
    ]);
  });

  test("fails the execution when the settlement contract refuses the report (the forwarder does not revert)", () => {
    mockChain(7n, false, true);
    const http = HttpActionsMock.testInstance();
    http.sendRequest = () => ({
      statusCode: 200,
      body: b64(new TextEncoder().encode(JSON.stringify(result))),
    });
    expect(() => onTick(newTestRuntime<Config>(null, {}, config), {} as CronPayload)).toThrow(
      /refused epoch 7/,
    );
  });

  test("uses the node's own API URL from the VIGIL_NODE_API_URL secret when set", () => {
    mockChain(7n);
    const http = HttpActionsMock.testInstance();
    const urls: string[] = [];
    http.sendRequest = (req) => {
      urls.push(req.url);
      return { statusCode: 404, body: "" };
    };
    const secrets = new Map([["main", new Map([["VIGIL_NODE_API_URL", "http://10.0.0.9:9000"]])]]);
    onTick(newTestRuntime<Config>(secrets, {}, config), {} as CronPayload);
    expect(urls).toEqual(["http://10.0.0.9:9000/v1/networks/3/epochs/7"]);
  });

  test("fails the execution when the node API returns another epoch", () => {
    mockChain(7n);
    const http = HttpActionsMock.testInstance();
    http.sendRequest = () => ({
      statusCode: 200,
      body: b64(new TextEncoder().encode(JSON.stringify({ ...result, epoch: "6" }))),
    });
    expect(() => onTick(newTestRuntime<Config>(null, {}, config), {} as CronPayload)).toThrow(/epoch 6/);
  });
});
