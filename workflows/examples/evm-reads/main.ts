// Exercises every EVM read the host serves, in DON mode, for the host tests.
import {
  blockNumber,
  type CronPayload,
  cre,
  getNetwork,
  hexToBase64,
  LATEST_BLOCK_NUMBER,
  protoBigIntToBigint,
  Runner,
  type Runtime,
} from "@chainlink/cre-sdk";
import { z } from "zod";

const configSchema = z.object({
  chainSelectorName: z.string(),
  account: z.string(),
  txHash: z.string(),
  forwarder: z.string(),
});
type Config = z.infer<typeof configSchema>;

const onTick = (runtime: Runtime<Config>, _payload: CronPayload) => {
  const { config } = runtime;
  const network = getNetwork({ chainFamily: "evm", chainSelectorName: config.chainSelectorName });
  if (!network) throw new Error(`unknown chain ${config.chainSelectorName}`);
  const evm = new cre.capabilities.EVMClient(network.chainSelector.selector);
  const header = evm.headerByNumber(runtime, {}).result().header;
  const balance = evm.balanceAt(runtime, { account: hexToBase64(config.account) }).result().balance;
  const gas = evm
    .estimateGas(runtime, {
      msg: { from: hexToBase64(config.account), to: hexToBase64(config.account), data: "" },
    })
    .result().gas;
  const receipt = evm.getTransactionReceipt(runtime, { hash: hexToBase64(config.txHash) }).result().receipt;
  const tx = evm.getTransactionByHash(runtime, { hash: hexToBase64(config.txHash) }).result().transaction;
  const logs = evm
    .filterLogs(runtime, {
      filterQuery: {
        addresses: [hexToBase64(config.forwarder)],
        fromBlock: blockNumber(0),
        toBlock: LATEST_BLOCK_NUMBER,
      },
    })
    .result().logs;
  return {
    block: header?.blockNumber ? protoBigIntToBigint(header.blockNumber) : -1n,
    balance: balance ? protoBigIntToBigint(balance) : -1n,
    gas,
    receiptStatus: receipt?.status ?? -1n,
    receiptLogs: receipt?.logs.length ?? -1,
    txNonce: tx?.nonce ?? -1n,
    forwarderLogs: logs.length,
  };
};

const initWorkflow = () => [
  cre.handler(new cre.capabilities.CronCapability().trigger({ schedule: "0 * * * * *" }), onTick),
];

export async function main() {
  const runner = await Runner.newRunner<Config>({ configSchema });
  await runner.run(initWorkflow);
}
