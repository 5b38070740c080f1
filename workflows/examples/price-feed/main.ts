// A workflow shaped like the CRE SDK's public examples and written independently of Vigil's own:
// on a cron tick every node fetches a price over HTTP, the DON takes the median, signs a report and
// writes it on chain. The host tests run it to show the host is not tailored to Vigil's workflows.
import {
  type CronPayload,
  consensusMedianAggregation,
  cre,
  getNetwork,
  type HTTPSendRequester,
  hexToBase64,
  Runner,
  type Runtime,
  TxStatus,
} from "@chainlink/cre-sdk";
import { encodeAbiParameters, parseAbiParameters } from "viem";
import { z } from "zod";

const configSchema = z.object({
  schedule: z.string(),
  url: z.string(),
  chainSelectorName: z.string(),
  receiver: z.string(),
  gasLimit: z.string(),
});
type Config = z.infer<typeof configSchema>;

const fetchPrice = (sendRequester: HTTPSendRequester, config: Config): bigint => {
  const response = sendRequester.sendRequest({ url: config.url, method: "GET" }).result();
  if (response.statusCode !== 200) throw new Error(`price source answered ${response.statusCode}`);
  const body = JSON.parse(new TextDecoder().decode(response.body)) as { price: string };
  return BigInt(body.price);
};

const onCron = (runtime: Runtime<Config>, payload: CronPayload): string => {
  const scheduled = payload.scheduledExecutionTime?.seconds ?? 0n;
  runtime.log(`tick scheduled at ${scheduled}`);
  const http = new cre.capabilities.HTTPClient();
  const price = http
    .sendRequest(
      runtime,
      fetchPrice,
      consensusMedianAggregation<bigint>(),
    )(runtime.config)
    .result();
  runtime.log(`median price ${price}`);

  const network = getNetwork({ chainFamily: "evm", chainSelectorName: runtime.config.chainSelectorName });
  if (!network) throw new Error(`unknown chain ${runtime.config.chainSelectorName}`);
  const evm = new cre.capabilities.EVMClient(network.chainSelector.selector);

  const body = encodeAbiParameters(parseAbiParameters("uint256 price, uint64 scheduled"), [price, scheduled]);
  const report = runtime
    .report({
      encodedPayload: hexToBase64(body),
      encoderName: "evm",
      signingAlgo: "ecdsa",
      hashingAlgo: "keccak256",
    })
    .result();
  const reply = evm
    .writeReport(runtime, {
      receiver: runtime.config.receiver,
      report,
      gasConfig: { gasLimit: runtime.config.gasLimit },
    })
    .result();
  if (reply.txStatus !== TxStatus.SUCCESS)
    throw new Error(`write failed: ${reply.errorMessage ?? reply.txStatus}`);
  return `price ${price} written`;
};

const initWorkflow = (config: Config) => {
  const cron = new cre.capabilities.CronCapability();
  return [cre.handler(cron.trigger({ schedule: config.schedule }), onCron)];
};

export async function main() {
  const runner = await Runner.newRunner<Config>({ configSchema });
  await runner.run(initWorkflow);
}

main();
