// Epoch settlement: on each tick the DON reads which epoch the settlement contract expects next,
// every node fetches that epoch's agreed result from its own node API (node mode), the DON checks
// that all of them got the same result (identical aggregation over the encoded report body),
// signs a kind-1 report and writes it to the settlement contract through the forwarder.
// Liveness: an epoch nobody could certify (more than f nodes down across its end, a network whose
// genesis passed before its nodes ran) would hold `nextEpoch` forever. Once the contract says the
// epoch's settlement timeout has passed (`settlementTimedOut`) and the DON agrees that no node holds
// a result, the DON settles it as an explicit timeout (zero root, nothing paid, nothing slashed), so
// every later epoch can settle in order.
import {
  bytesToHex,
  type CronPayload,
  consensusIdenticalAggregation,
  cre,
  encodeCallMsg,
  getNetwork,
  type HTTPSendRequester,
  hexToBase64,
  LATEST_BLOCK_NUMBER,
  Runner,
  type Runtime,
  TxStatus,
} from "@chainlink/cre-sdk";
import { decodeFunctionResult, encodeFunctionData, type Hex, parseAbi, zeroAddress, zeroHash } from "viem";
import { encodeEpochSettlementReport } from "../../contracts/portable";
import { type Config, configSchema } from "./config";

const settlementAbi = parseAbi([
  "function nextEpoch(uint64 networkId) view returns (uint64)",
  "function settlementTimedOut(uint64 networkId) view returns (bool)",
]);

/** The report body of an epoch settled by timeout: what the contract accepts once the timeout passed. */
export const timeoutBody = (networkId: string, epoch: string): string =>
  encodeEpochSettlementReport({
    networkId: BigInt(networkId),
    epoch: BigInt(epoch),
    resultRoot: zeroHash,
    observationsCommitment: zeroHash,
    deviceCount: 0,
    qualifiedCount: 0,
    totalReward: 0n,
    totalSlash: 0n,
    slashes: [],
    observations: [],
  });

/** The node API's `EpochResult` JSON (bigints as decimal strings). */
interface EpochResultJson {
  networkId: string;
  epoch: string;
  resultRoot: Hex;
  observationsCommitment: Hex;
  deviceCount: number;
  qualifiedCount: number;
  totalReward: string;
  totalSlash: string;
  slashes: { deviceId: Hex; amount: string; reason: number; evidenceHash: Hex }[];
  /** The observations `observationsCommitment` hashes: the contract checks them and pays their observers. */
  observations: { observer: Hex; hash: Hex }[];
}

/** What a node observes: the report body it would sign, or "" when its API has no result yet. */
export const fetchEpochBody = (
  sendRequester: HTTPSendRequester,
  apiUrl: string,
  networkId: string,
  epoch: string,
): string => {
  const url = `${apiUrl.replace(/\/$/, "")}/v1/networks/${networkId}/epochs/${epoch}`;
  const response = sendRequester.sendRequest({ url, method: "GET" }).result();
  if (response.statusCode === 404) return "";
  if (response.statusCode !== 200) throw new Error(`node API answered ${response.statusCode} for ${url}`);
  const r = JSON.parse(new TextDecoder().decode(response.body)) as EpochResultJson;
  if (r.networkId !== networkId || r.epoch !== epoch)
    throw new Error(`node API returned epoch ${r.epoch} of network ${r.networkId}`);
  return encodeEpochSettlementReport({
    networkId: BigInt(r.networkId),
    epoch: BigInt(r.epoch),
    resultRoot: r.resultRoot,
    observationsCommitment: r.observationsCommitment,
    deviceCount: r.deviceCount,
    qualifiedCount: r.qualifiedCount,
    totalReward: BigInt(r.totalReward),
    totalSlash: BigInt(r.totalSlash),
    slashes: r.slashes.map((s) => ({
      deviceId: s.deviceId,
      amount: BigInt(s.amount),
      reason: s.reason,
      evidenceHash: s.evidenceHash,
    })),
    observations: r.observations.map((o) => ({ observer: o.observer, hash: o.hash })),
  });
};

const nodeApiUrl = (runtime: Runtime<Config>): string => {
  try {
    return runtime.getSecret({ id: "VIGIL_NODE_API_URL" }).result().value;
  } catch {
    return runtime.config.nodeApiUrl;
  }
};

export const onTick = (runtime: Runtime<Config>, _payload: CronPayload): string => {
  const { config } = runtime;
  const network = getNetwork({ chainFamily: "evm", chainSelectorName: config.chainSelectorName });
  if (!network) throw new Error(`unknown chain selector name ${config.chainSelectorName}`);
  const evm = new cre.capabilities.EVMClient(network.chainSelector.selector);

  const call = (data: Hex): Hex =>
    bytesToHex(
      evm
        .callContract(runtime, {
          call: encodeCallMsg({ from: zeroAddress, to: config.settlement as Hex, data }),
          blockNumber: LATEST_BLOCK_NUMBER,
        })
        .result().data,
    );
  const args = [BigInt(config.networkId)] as const;
  const nextEpoch = () =>
    decodeFunctionResult({
      abi: settlementAbi,
      functionName: "nextEpoch",
      data: call(encodeFunctionData({ abi: settlementAbi, functionName: "nextEpoch", args })),
    });
  const timedOut = () =>
    decodeFunctionResult({
      abi: settlementAbi,
      functionName: "settlementTimedOut",
      data: call(encodeFunctionData({ abi: settlementAbi, functionName: "settlementTimedOut", args })),
    });
  const epoch = nextEpoch().toString();

  const apiUrl = nodeApiUrl(runtime);
  const http = new cre.capabilities.HTTPClient();
  const body = http
    .sendRequest(runtime, fetchEpochBody, consensusIdenticalAggregation<string>())(
      apiUrl,
      config.networkId,
      epoch,
    )
    .result();
  let settled = body;
  if (body === "") {
    // Every node agrees it holds no result. Wait, unless the contract's timeout for the epoch passed.
    if (!timedOut()) {
      runtime.log(`epoch ${epoch} of network ${config.networkId} has no agreed result yet`);
      return `epoch ${epoch} not ready`;
    }
    runtime.log(`epoch ${epoch} of network ${config.networkId} timed out uncertified: settling it empty`);
    settled = timeoutBody(config.networkId, epoch);
  }

  const report = runtime
    .report({
      encodedPayload: hexToBase64(settled),
      encoderName: "evm",
      signingAlgo: "ecdsa",
      hashingAlgo: "keccak256",
    })
    .result();
  const reply = evm
    .writeReport(runtime, { receiver: config.settlement, report, gasConfig: { gasLimit: config.gasLimit } })
    .result();
  if (reply.txStatus !== TxStatus.SUCCESS) {
    throw new Error(
      `settlement write failed (status ${reply.txStatus}): ${reply.errorMessage ?? "no message"}`,
    );
  }
  const tx = reply.txHash ? bytesToHex(reply.txHash) : "simulated";
  // The forwarder does not revert when the receiver does (it records the failure): a mined
  // transaction is not a settlement. 1 = RECEIVER_CONTRACT_EXECUTION_STATUS_REVERTED (the SDK does
  // not re-export the EVM enum).
  if (reply.receiverContractExecutionStatus === 1)
    throw new Error(`the settlement contract refused epoch ${epoch} (transaction ${tx})`);
  const how = settled === body ? "settled" : "settled by timeout";
  runtime.log(`${how} epoch ${epoch} of network ${config.networkId} in ${tx}`);
  return `${how} epoch ${epoch} in ${tx}`;
};

export const initWorkflow = (config: Config) => {
  const cron = new cre.capabilities.CronCapability();
  return [cre.handler(cron.trigger({ schedule: config.schedule }), onTick)];
};

export async function main() {
  const runner = await Runner.newRunner<Config>({ configSchema });
  await runner.run(initWorkflow);
}
