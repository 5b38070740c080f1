// Fraud slashing: an HTTP trigger carries an evidence bundle. The DON reads from the chain who may
// judge the bundle's device in its epoch (readJudges: the pinned beacon and the assigned oracles'
// keys, or why no one may now, e.g. a stale epoch); every node re-verifies the bundle against that
// with the attestation library's portable verifier (node mode), the DON requires identical verdicts,
// and the agreed slash is written to the settlement contract at once as a kind-2 report, without
// waiting for the epoch to end. The contract applies at most one slash per device and epoch, so a
// replay or a re-signed bundle of the same exchange cannot slash twice.
import {
  bytesToHex,
  consensusIdenticalAggregation,
  cre,
  getNetwork,
  type HTTPPayload,
  hexToBase64,
  type NodeRuntime,
  Runner,
  type Runtime,
  TxStatus,
} from "@chainlink/cre-sdk";
import { hexToBytes } from "viem";
import { hex, type JudgesOf, verifyEvidencePortable } from "../../attestation/portable";
import { encodeFraudSlashReport } from "../../contracts/portable";
import { type Config, configSchema, requestSchema } from "./config";
import { type ChainJudges, readJudges } from "./readJudges";

/** Prefix of a verdict that is not a report body: the evidence did not prove fraud. */
export const REJECTED = "rejected:";

/**
 * A node's verdict: the kind-2 report body it would sign, or `rejected:<reason>`. `chain` is what the
 * DON read for this bundle; the bundle itself only names its epoch and device, never its judges.
 */
export const judgeEvidence = (
  nodeRuntime: NodeRuntime<Config>,
  evidenceHex: string,
  chain: ChainJudges,
): string => {
  const { config } = nodeRuntime;
  const judges: JudgesOf = (q) => {
    if ("rejected" in chain) return chain.rejected;
    // Threat: a bundle whose signed epoch or device differs from what the unverified decode told the
    // DON to read would be judged against another device's (or epoch's) assignment.
    if (q.epoch !== chain.epoch || hex(q.deviceId) !== chain.deviceId)
      return `the chain was read for device ${chain.deviceId} in epoch ${chain.epoch}, not this bundle's`;
    return { beacon: hexToBytes(chain.beacon), challengers: chain.challengers.map((k) => hexToBytes(k)) };
  };
  const verdict = verifyEvidencePortable(hexToBytes(evidenceHex as `0x${string}`), {
    networkId: BigInt(config.networkId),
    judges,
  });
  if (!verdict.ok) return `${REJECTED}${verdict.error.message}`;
  const fraud = verdict.value;
  return encodeFraudSlashReport(fraud.networkId, fraud.epoch, {
    deviceId: hex(fraud.deviceId),
    amount: BigInt(config.slashAmount),
    reason: fraud.reasonCode,
    evidenceHash: hex(fraud.evidenceHash),
  });
};

export const onEvidence = (runtime: Runtime<Config>, payload: HTTPPayload): string => {
  const { config } = runtime;
  const parsed = requestSchema.safeParse(JSON.parse(new TextDecoder().decode(payload.input)));
  if (!parsed.success) throw new Error(`bad slashing request: ${parsed.error.issues[0]?.message}`);
  const network = getNetwork({ chainFamily: "evm", chainSelectorName: config.chainSelectorName });
  if (!network) throw new Error(`unknown chain selector name ${config.chainSelectorName}`);
  const evm = new cre.capabilities.EVMClient(network.chainSelector.selector);

  const chain = readJudges(runtime, evm, hexToBytes(parsed.data.evidence as `0x${string}`));
  if (!("rejected" in chain))
    runtime.log(
      `device ${chain.deviceId} in epoch ${chain.epoch}: beacon ${chain.beacon} (block ${chain.blockNumber ?? "none"}), ${chain.challengers.length} assigned challenger key(s)`,
    );
  const body = runtime
    .runInNodeMode(judgeEvidence, consensusIdenticalAggregation<string>())(parsed.data.evidence, chain)
    .result();
  if (body.startsWith(REJECTED)) {
    runtime.log(`evidence rejected by the DON: ${body.slice(REJECTED.length)}`);
    return body;
  }
  const report = runtime
    .report({
      encodedPayload: hexToBase64(body),
      encoderName: "evm",
      signingAlgo: "ecdsa",
      hashingAlgo: "keccak256",
    })
    .result();
  const reply = evm
    .writeReport(runtime, { receiver: config.settlement, report, gasConfig: { gasLimit: config.gasLimit } })
    .result();
  if (reply.txStatus !== TxStatus.SUCCESS) {
    throw new Error(`slash write failed (status ${reply.txStatus}): ${reply.errorMessage ?? "no message"}`);
  }
  const tx = reply.txHash ? bytesToHex(reply.txHash) : "simulated";
  // A kind-2 report the contract refuses (unknown network, another workflow's name) is a configuration
  // error, not a verdict: fail the run. A slash it skips (already slashed, stale epoch) is delivered.
  // 1 = RECEIVER_CONTRACT_EXECUTION_STATUS_REVERTED (the SDK does not re-export the EVM enum).
  if (reply.receiverContractExecutionStatus === 1)
    throw new Error(
      `the settlement contract refused the slash (transaction ${tx}): ${reply.errorMessage ?? "no message"}`,
    );
  runtime.log(`slash written in ${tx}`);
  return `slashed in ${tx}`;
};

export const initWorkflow = (config: Config) => {
  const http = new cre.capabilities.HTTPCapability();
  return [
    cre.handler(
      http.trigger({
        authorizedKeys: config.authorizedKeys.map((publicKey) => ({ type: "KEY_TYPE_ECDSA_EVM", publicKey })),
      }),
      onEvidence,
    ),
  ];
};

export async function main() {
  const runner = await Runner.newRunner<Config>({ configSchema });
  await runner.run(initWorkflow);
}
