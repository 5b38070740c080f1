// Fraud slashing: an HTTP trigger carries an evidence bundle; every node re-verifies it with the
// attestation library's portable verifier (node mode), the DON requires identical verdicts, and the
// agreed slash is written to the settlement contract at once as a kind-2 report, without waiting for
// the epoch to end. The contract skips evidence it already applied, so a replay cannot slash twice.
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
import { hex, verifyEvidencePortable } from "../../attestation/portable";
import { encodeFraudSlashReport } from "../../contracts/reports";
import { type Config, configSchema, requestSchema } from "./config";

/** Prefix of a verdict that is not a report body: the evidence did not prove fraud. */
export const REJECTED = "rejected:";

/** A node's verdict: the kind-2 report body it would sign, or `rejected:<reason>`. */
export const judgeEvidence = (nodeRuntime: NodeRuntime<Config>, evidenceHex: string): string => {
  const { config } = nodeRuntime;
  const verdict = verifyEvidencePortable(hexToBytes(evidenceHex as `0x${string}`), {
    networkId: BigInt(config.networkId),
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

  const body = runtime
    .runInNodeMode(
      judgeEvidence,
      consensusIdenticalAggregation<string>(),
    )(parsed.data.evidence)
    .result();
  if (body.startsWith(REJECTED)) {
    runtime.log(`evidence rejected by the DON: ${body.slice(REJECTED.length)}`);
    return body;
  }

  const network = getNetwork({ chainFamily: "evm", chainSelectorName: config.chainSelectorName });
  if (!network) throw new Error(`unknown chain selector name ${config.chainSelectorName}`);
  const evm = new cre.capabilities.EVMClient(network.chainSelector.selector);
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
