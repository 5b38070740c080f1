// A minimal EVM log-trigger workflow for the host tests: answers each matching log with its position.
import {
  bytesToHex,
  cre,
  type EVMLog,
  getNetwork,
  logTriggerConfig,
  Runner,
  type Runtime,
} from "@chainlink/cre-sdk";
import { z } from "zod";

const configSchema = z.object({ chainSelectorName: z.string(), address: z.string(), topic0: z.string() });
type Config = z.infer<typeof configSchema>;

const onLog = (runtime: Runtime<Config>, log: EVMLog): string => {
  const where = `${bytesToHex(log.txHash)}:${log.index}`;
  runtime.log(`log ${where} from ${bytesToHex(log.address)}`);
  return where;
};

const initWorkflow = (config: Config) => {
  const network = getNetwork({ chainFamily: "evm", chainSelectorName: config.chainSelectorName });
  if (!network) throw new Error(`unknown chain ${config.chainSelectorName}`);
  const evm = new cre.capabilities.EVMClient(network.chainSelector.selector);
  return [
    cre.handler(
      evm.logTrigger(
        logTriggerConfig({
          addresses: [config.address as `0x${string}`],
          topics: [[config.topic0 as `0x${string}`]],
          confidence: "LATEST",
        }),
      ),
      onLog,
    ),
  ];
};

export async function main() {
  const runner = await Runner.newRunner<Config>({ configSchema });
  await runner.run(initWorkflow);
}
