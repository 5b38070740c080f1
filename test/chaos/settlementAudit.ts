// What the chain says about settlement, read with viem from the contracts' events and views alone:
// which epochs settled, in which order, which by timeout, whether any oracle was slashed for
// equivocation, and which forwarder transactions tried to settle which epoch.
import {
  type Address,
  type Chain,
  decodeAbiParameters,
  decodeFunctionData,
  type Hex,
  hexToBytes,
  type PublicClient,
  parseAbi,
  parseAbiItem,
  parseEventLogs,
  type Transport,
  toFunctionSelector,
} from "viem";
import { vigilSettlementAbi } from "../../contracts/index";
import { decodeRawReport } from "../../oracle-node/cre-host/index";

type Client = PublicClient<Transport, Chain>;

const forwarderAbi = parseAbi([
  "function report(address receiver, bytes rawReport, bytes reportContext, bytes[] signatures)",
]);
const reportSelector = toFunctionSelector(forwarderAbi[0]);
const reportProcessed = parseAbiItem(
  "event ReportProcessed(address indexed receiver, bytes32 indexed workflowExecutionId, bytes2 indexed reportId, bool result)",
);

export interface Settlement {
  epoch: bigint;
  resultRoot: Hex;
  blockNumber: bigint;
  logIndex: number;
}

export interface SettlementHistory {
  /** `EpochSettled` events of the network, in chain order. */
  settled: Settlement[];
  /** Epochs of `EpochTimedOut` events. */
  timedOut: bigint[];
  /** Signers of `OracleSlashed` events (an equivocation proven on chain). */
  slashedOracles: Address[];
  nextEpoch: bigint;
}

export async function readSettlementHistory(
  client: Client,
  settlement: Address,
  networkId: bigint,
  fromBlock: bigint,
): Promise<SettlementHistory> {
  const toBlock = await client.getBlockNumber();
  const range = { address: settlement, abi: vigilSettlementAbi, fromBlock, toBlock } as const;
  const [settled, timedOut, slashed, nextEpoch] = await Promise.all([
    client.getContractEvents({ ...range, eventName: "EpochSettled", args: { networkId } }),
    client.getContractEvents({ ...range, eventName: "EpochTimedOut", args: { networkId } }),
    client.getContractEvents({ ...range, eventName: "OracleSlashed" }),
    client.readContract({
      address: settlement,
      abi: vigilSettlementAbi,
      functionName: "nextEpoch",
      args: [networkId],
      blockNumber: toBlock,
    }),
  ]);
  return {
    settled: settled.map((l) => ({
      epoch: l.args.epoch!,
      resultRoot: l.args.resultRoot!,
      blockNumber: l.blockNumber,
      logIndex: l.logIndex,
    })),
    timedOut: timedOut.map((l) => l.args.epoch!),
    slashedOracles: slashed.map((l) => l.args.signer!),
    nextEpoch,
  };
}

/** One `KeystoneForwarder.report` transaction and the epoch its settlement report names. */
export interface ForwarderTransaction {
  hash: Hex;
  blockNumber: bigint;
  from: Address;
  /** The transaction itself reverted (e.g. the forwarder's `AlreadyAttempted`): gas spent, nothing delivered. */
  reverted: boolean;
  /** The forwarder's `ReportProcessed.result`: whether the settlement contract accepted the report. */
  delivered: boolean | undefined;
  kind: number;
  epoch: bigint | undefined;
}

/** Every transaction sent to the forwarder in the blocks `fromBlock..toBlock`, decoded. */
export async function readForwarderTransactions(
  client: Client,
  forwarder: Address,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<ForwarderTransaction[]> {
  const out: ForwarderTransaction[] = [];
  for (let b = fromBlock; b <= toBlock; b++) {
    const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      // Reports only: the deployment's `setConfig` went to the forwarder too.
      if (tx.to?.toLowerCase() !== forwarder.toLowerCase() || !tx.input.startsWith(reportSelector)) continue;
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      const [processed] = parseEventLogs({ abi: [reportProcessed], logs: receipt.logs }).filter(
        (l) => l.address.toLowerCase() === forwarder.toLowerCase(),
      );
      const { args } = decodeFunctionData({ abi: forwarderAbi, data: tx.input });
      const { body } = decodeRawReport(hexToBytes(args[1]));
      const [kind, payload] = decodeAbiParameters([{ type: "uint8" }, { type: "bytes" }], body);
      // A kind-1 payload is a dynamic tuple: an offset word, then networkId and epoch.
      const epoch =
        kind === 1
          ? decodeAbiParameters([{ type: "uint256" }, { type: "uint64" }, { type: "uint64" }], payload)[2]
          : undefined;
      out.push({
        hash: tx.hash,
        blockNumber: b,
        from: tx.from,
        reverted: receipt.status !== "success",
        delivered: processed?.args.result,
        kind,
        epoch,
      });
    }
  }
  return out;
}
