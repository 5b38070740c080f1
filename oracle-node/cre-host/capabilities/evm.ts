import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { type Any, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { EVM_PB } from "@chainlink/cre-sdk/pb";
import {
  type Account,
  type Address,
  type BlockTag,
  bytesToHex,
  type Chain,
  decodeEventLog,
  encodeFunctionData,
  type Hex,
  hexToBytes,
  type PublicClient,
  parseAbi,
  type Transport,
  type Log as ViemLog,
  type WalletClient,
  zeroAddress,
} from "viem";
import { CreHostError } from "../errors";
import { decodeRawReport, FORWARDER_METADATA_LENGTH, REPORT_METADATA_LENGTH } from "../report";
import { type Capability, type CapabilityCallContext, fromProtoBigInt, toProtoBigInt } from "./types";

export const forwarderAbi = parseAbi([
  "function report(address receiver, bytes rawReport, bytes reportContext, bytes[] signatures)",
  "function getTransmissionInfo(address receiver, bytes32 workflowExecutionId, bytes2 reportId) view returns ((bytes32 transmissionId, uint8 state, address transmitter, bool invalidReceiver, bool success, uint80 gasLimit))",
  "event ReportProcessed(address indexed receiver, bytes32 indexed workflowExecutionId, bytes2 indexed reportId, bool result)",
  "error InvalidSignatureCount(uint256 expected, uint256 received)",
  "error InvalidSigner(address signer)",
  "error DuplicateSigner(address signer)",
  "error InvalidSignature(bytes signature)",
  "error InvalidConfig(uint64 configId)",
  "error InvalidReport()",
  "error AlreadyAttempted(bytes32 transmissionId)",
  "error InsufficientGasForRouting(bytes32 transmissionId)",
]);

const receiverAbi = parseAbi(["function onReport(bytes metadata, bytes report)"]);

/** How the EVM capability of one chain is served. */
export interface EvmChainOptions {
  chainSelector: bigint;
  publicClient: PublicClient<Transport, Chain | undefined>;
  /** Sends this node's `KeystoneForwarder.report` transactions. */
  walletClient: WalletClient<Transport, Chain | undefined, Account>;
  forwarder: Address;
  /**
   * This node's place in the transmission schedule (0 sends at once). Node k waits
   * `k * transmitDelayMs`, then sends only if nobody has delivered the report yet, as CRE's
   * transmission schedule does, so the DON pays for one transaction, not n.
   */
  transmitRank: (executionId: Hex) => number;
  transmitDelayMs: number;
  /** Simulate writes (eth_call) instead of sending them: the simulator without `--broadcast`. */
  simulateWrites?: boolean;
  /** Called with every write this capability answered (for the simulator and tests). */
  onWrite?: (write: WriteRecord) => void;
  confirmations?: number;
}

export interface WriteRecord {
  receiver: Address;
  txHash?: Hex;
  txStatus: EVM_PB.TxStatus;
  receiverStatus?: EVM_PB.ReceiverContractExecutionStatus;
  fee?: bigint;
  simulated: boolean;
  sentByThisNode: boolean;
  error?: string;
}

function blockParam(b: { absVal: Uint8Array; sign: bigint } | undefined): {
  blockTag?: BlockTag;
  blockNumber?: bigint;
} {
  // An absent block number means the latest block; a present zero is block 0.
  if (!b) return { blockTag: "latest" };
  const n = fromProtoBigInt(b);
  if (n >= 0n) return { blockNumber: n };
  // The SDK encodes named blocks as negative numbers (LATEST_BLOCK_NUMBER = -2, finalized = -3).
  if (n === -2n) return { blockTag: "latest" };
  if (n === -3n) return { blockTag: "finalized" };
  if (n === -1n) return { blockTag: "pending" };
  if (n === -4n) return { blockTag: "safe" };
  throw new CreHostError("CAPABILITY_FAILED", `unsupported block number ${n}`);
}

/**
 * Fails a call that returned nothing from an address without code at the block read: the workflow
 * would otherwise decode empty data ("Cannot decode zero data") with no hint that the block (on a
 * fresh anvil the finalized block is 0) is older than the contract.
 */
async function requireCode(
  c: PublicClient<Transport, Chain | undefined>,
  to: Address,
  block: { blockTag?: BlockTag; blockNumber?: bigint },
): Promise<void> {
  const at = await c.getBlock(block as Parameters<typeof c.getBlock>[0]);
  const code = await c.getCode({ address: to, blockNumber: at.number ?? undefined });
  if (code && code !== "0x") return;
  const which = block.blockTag ? `the ${block.blockTag} block (${at.number})` : `block ${at.number}`;
  const latest = block.blockTag === "latest" ? "" : await c.getCode({ address: to });
  throw new CreHostError(
    "CAPABILITY_FAILED",
    latest && latest !== "0x"
      ? `CallContract: ${to} has no code at ${which}: the block is older than the contract; ` +
          "read at a later block (e.g. LATEST_BLOCK_NUMBER) or wait until the deployment is " +
          `${block.blockTag ?? "that old"}`
      : `CallContract: no contract at ${to} at ${which}`,
    { to, block: String(at.number) },
  );
}

function addr(bytes: Uint8Array, what: string): Address {
  if (bytes.length !== 20) throw new CreHostError("CAPABILITY_FAILED", `${what} must be a 20-byte address`);
  return bytesToHex(bytes) as Address;
}

/** A viem log as CRE's `Log` message (the log trigger's payload and `FilterLogs` entries). */
export function toLogProto(l: ViemLog): EVM_PB.Log {
  return create(EVM_PB.LogSchema, {
    address: hexToBytes(l.address),
    topics: l.topics.map((t) => hexToBytes(t)),
    txHash: l.transactionHash ? hexToBytes(l.transactionHash) : new Uint8Array(),
    blockHash: l.blockHash ? hexToBytes(l.blockHash) : new Uint8Array(),
    data: hexToBytes(l.data),
    eventSig: l.topics[0] ? hexToBytes(l.topics[0]) : new Uint8Array(),
    blockNumber: l.blockNumber !== null ? toProtoBigInt(l.blockNumber) : undefined,
    txIndex: l.transactionIndex ?? 0,
    index: l.logIndex ?? 0,
    removed: l.removed,
  });
}

function pack<D extends DescMessage>(schema: D, init: Parameters<typeof create<D>>[1]): Any {
  return anyPack(schema, create(schema, init) as MessageShape<D>);
}

function unpack<D extends DescMessage>(payload: Any, schema: D, method: string): MessageShape<D> {
  const msg = anyUnpack(payload, schema);
  if (!msg) throw new CreHostError("CAPABILITY_FAILED", `evm ${method}: payload is not a ${schema.typeName}`);
  return msg as MessageShape<D>;
}

/** `evm:ChainSelector:<selector>@1.0.0` over viem: reads, gas estimates and `WriteReport`. */
export function evmClient(opts: EvmChainOptions): Capability {
  const c = opts.publicClient;
  return {
    id: `evm:ChainSelector:${opts.chainSelector}@1.0.0`,
    async call(method: string, payload: Any, ctx: CapabilityCallContext): Promise<Any> {
      switch (method) {
        case "CallContract": {
          const req = unpack(payload, EVM_PB.CallContractRequestSchema, method);
          if (!req.call) throw new CreHostError("CAPABILITY_FAILED", "CallContract needs a call message");
          const to = addr(req.call.to, "call.to");
          const block = blockParam(req.blockNumber);
          const { data } = await c.call({
            to,
            data: bytesToHex(req.call.data),
            account: req.call.from.length ? addr(req.call.from, "call.from") : undefined,
            ...block,
          } as Parameters<typeof c.call>[0]);
          if (!data || data === "0x") await requireCode(c, to, block);
          return pack(EVM_PB.CallContractReplySchema, { data: data ? hexToBytes(data) : new Uint8Array() });
        }
        case "FilterLogs": {
          const q = unpack(payload, EVM_PB.FilterLogsRequestSchema, method).filterQuery;
          const toTag = (
            b: typeof q extends undefined ? never : { absVal: Uint8Array; sign: bigint } | undefined,
          ) => {
            const p = blockParam(b);
            return p.blockTag ?? `0x${p.blockNumber!.toString(16)}`;
          };
          const filter: Record<string, unknown> = {
            address: q?.addresses.map((a) => addr(a, "address")),
            topics: q?.topics.map((t) => (t.topic.length ? t.topic.map((x) => bytesToHex(x)) : null)),
          };
          if (q?.blockHash.length) filter.blockHash = bytesToHex(q.blockHash);
          else {
            filter.fromBlock = toTag(q?.fromBlock);
            filter.toBlock = toTag(q?.toBlock);
          }
          const logs = (await c.request({ method: "eth_getLogs", params: [filter as never] })) as unknown as {
            address: Address;
            topics: Hex[];
            data: Hex;
            blockHash: Hex;
            blockNumber: Hex;
            transactionHash: Hex;
            transactionIndex: Hex;
            logIndex: Hex;
            removed: boolean;
          }[];
          return pack(EVM_PB.FilterLogsReplySchema, {
            logs: logs.map((l) =>
              toLogProto({
                ...l,
                blockNumber: BigInt(l.blockNumber),
                transactionIndex: Number(l.transactionIndex),
                logIndex: Number(l.logIndex),
              } as unknown as ViemLog),
            ),
          });
        }
        case "BalanceAt": {
          const req = unpack(payload, EVM_PB.BalanceAtRequestSchema, method);
          const balance = await c.getBalance({
            address: addr(req.account, "account"),
            ...blockParam(req.blockNumber),
          } as Parameters<typeof c.getBalance>[0]);
          return pack(EVM_PB.BalanceAtReplySchema, { balance: toProtoBigInt(balance) });
        }
        case "EstimateGas": {
          const msg = unpack(payload, EVM_PB.EstimateGasRequestSchema, method).msg;
          if (!msg) throw new CreHostError("CAPABILITY_FAILED", "EstimateGas needs a call message");
          const gas = await c.estimateGas({
            to: msg.to.length ? addr(msg.to, "to") : undefined,
            data: bytesToHex(msg.data),
            account: msg.from.length ? addr(msg.from, "from") : undefined,
          } as Parameters<typeof c.estimateGas>[0]);
          return pack(EVM_PB.EstimateGasReplySchema, { gas });
        }
        case "GetTransactionByHash": {
          const req = unpack(payload, EVM_PB.GetTransactionByHashRequestSchema, method);
          const tx = await c.getTransaction({ hash: bytesToHex(req.hash) });
          return pack(EVM_PB.GetTransactionByHashReplySchema, {
            transaction: {
              nonce: BigInt(tx.nonce),
              gas: tx.gas,
              to: tx.to ? hexToBytes(tx.to) : new Uint8Array(),
              data: hexToBytes(tx.input),
              hash: hexToBytes(tx.hash),
              value: toProtoBigInt(tx.value),
              gasPrice: toProtoBigInt(tx.gasPrice ?? 0n),
            },
          });
        }
        case "GetTransactionReceipt": {
          const req = unpack(payload, EVM_PB.GetTransactionReceiptRequestSchema, method);
          const r = await c.getTransactionReceipt({ hash: bytesToHex(req.hash) });
          return pack(EVM_PB.GetTransactionReceiptReplySchema, {
            receipt: {
              status: r.status === "success" ? 1n : 0n,
              gasUsed: r.gasUsed,
              txIndex: BigInt(r.transactionIndex),
              blockHash: hexToBytes(r.blockHash),
              logs: r.logs.map(toLogProto),
              txHash: hexToBytes(r.transactionHash),
              effectiveGasPrice: toProtoBigInt(r.effectiveGasPrice),
              blockNumber: toProtoBigInt(r.blockNumber),
              contractAddress: r.contractAddress ? hexToBytes(r.contractAddress) : new Uint8Array(),
            },
          });
        }
        case "HeaderByNumber": {
          const req = unpack(payload, EVM_PB.HeaderByNumberRequestSchema, method);
          const b = await c.getBlock(blockParam(req.blockNumber) as Parameters<typeof c.getBlock>[0]);
          return pack(EVM_PB.HeaderByNumberReplySchema, {
            header: {
              timestamp: b.timestamp,
              blockNumber: toProtoBigInt(b.number ?? 0n),
              hash: b.hash ? hexToBytes(b.hash) : new Uint8Array(),
              parentHash: hexToBytes(b.parentHash),
            },
          });
        }
        case "WriteReport": {
          const req = unpack(payload, EVM_PB.WriteReportRequestSchema, method);
          const record = await writeReport(opts, req, ctx);
          opts.onWrite?.(record);
          return pack(EVM_PB.WriteReportReplySchema, {
            txStatus: record.txStatus,
            receiverContractExecutionStatus: record.receiverStatus,
            txHash: record.txHash ? hexToBytes(record.txHash) : undefined,
            transactionFee: record.fee !== undefined ? toProtoBigInt(record.fee) : undefined,
            errorMessage: record.error,
          });
        }
        default:
          throw new CreHostError("CAPABILITY_NOT_FOUND", `evm capability has no method ${method}`);
      }
    },
  };
}

const TRANSMISSION_SUCCEEDED = 2;
const TRANSMISSION_INVALID_RECEIVER = 1;

async function delivered(
  opts: EvmChainOptions,
  receiver: Address,
  executionId: Hex,
  reportId: Hex,
): Promise<WriteRecord | undefined> {
  const info = await opts.publicClient.readContract({
    address: opts.forwarder,
    abi: forwarderAbi,
    functionName: "getTransmissionInfo",
    args: [receiver, executionId, reportId],
  });
  if (info.state !== TRANSMISSION_SUCCEEDED && info.state !== TRANSMISSION_INVALID_RECEIVER) return undefined;
  const logs = await opts.publicClient.getContractEvents({
    address: opts.forwarder,
    abi: forwarderAbi,
    eventName: "ReportProcessed",
    args: { receiver, workflowExecutionId: executionId, reportId },
    fromBlock: 0n,
  });
  const log = logs.at(-1);
  if (!log) return undefined;
  const receipt = await opts.publicClient.getTransactionReceipt({ hash: log.transactionHash });
  return {
    receiver,
    txHash: log.transactionHash,
    txStatus: EVM_PB.TxStatus.SUCCESS,
    receiverStatus: log.args.result
      ? EVM_PB.ReceiverContractExecutionStatus.SUCCESS
      : EVM_PB.ReceiverContractExecutionStatus.REVERTED,
    fee: receipt.gasUsed * receipt.effectiveGasPrice,
    simulated: false,
    sentByThisNode: false,
  };
}

/** Why the receiver would revert `onReport` for this report when the forwarder calls it now, if it would. */
async function receiverRefusal(
  opts: EvmChainOptions,
  receiver: Address,
  rawReport: Uint8Array,
): Promise<string | undefined> {
  try {
    await opts.publicClient.call({
      account: opts.forwarder,
      to: receiver,
      // Against the block the report would land in: a time-gated report (an epoch that just ended)
      // refused at the head's timestamp would never be sent on a chain that mines only on demand.
      blockTag: "pending",
      data: encodeFunctionData({
        abi: receiverAbi,
        functionName: "onReport",
        args: [
          bytesToHex(rawReport.subarray(FORWARDER_METADATA_LENGTH, REPORT_METADATA_LENGTH)),
          bytesToHex(rawReport.subarray(REPORT_METADATA_LENGTH)),
        ],
      }),
    });
    return undefined;
  } catch (err) {
    return revertReason(err);
  }
}

function revertReason(err: unknown): string {
  const e = err as {
    shortMessage?: string;
    message?: string;
    walk?: (fn: (e: unknown) => boolean) => unknown;
  };
  const inner = e.walk?.((x) => typeof (x as { data?: unknown }).data === "object") as
    | { data?: { errorName?: string; args?: readonly unknown[] } }
    | undefined;
  if (inner?.data?.errorName)
    return `${inner.data.errorName}(${(inner.data.args ?? []).map(String).join(", ")})`;
  return e.shortMessage ?? e.message ?? String(err);
}

async function writeReport(
  opts: EvmChainOptions,
  req: EVM_PB.WriteReportRequest,
  ctx: CapabilityCallContext,
): Promise<WriteRecord> {
  const receiver = addr(req.receiver, "receiver");
  const report = req.report;
  if (!report || report.rawReport.length < REPORT_METADATA_LENGTH) {
    throw new CreHostError("CAPABILITY_FAILED", "WriteReport needs a report produced by the DON");
  }
  const { metadata } = decodeRawReport(report.rawReport);
  const args = [
    receiver,
    bytesToHex(report.rawReport),
    bytesToHex(report.reportContext),
    report.sigs.map((s) => bytesToHex(s.signature)),
  ] as const;
  const gas = req.gasConfig?.gasLimit ? req.gasConfig.gasLimit : undefined;
  const account = opts.walletClient.account;
  if (opts.forwarder === zeroAddress) {
    return {
      receiver,
      txStatus: EVM_PB.TxStatus.FATAL,
      simulated: !!opts.simulateWrites,
      sentByThisNode: false,
      error: "no KeystoneForwarder is configured for this chain (--forwarder): nothing was sent",
    };
  }

  if (opts.simulateWrites) {
    try {
      await opts.publicClient.simulateContract({
        address: opts.forwarder,
        abi: forwarderAbi,
        functionName: "report",
        args,
        account,
        gas,
      });
    } catch (err) {
      return {
        receiver,
        txStatus: EVM_PB.TxStatus.REVERTED,
        simulated: true,
        sentByThisNode: false,
        error: revertReason(err),
      };
    }
    // The forwarder swallows a receiver's revert, so ask the receiver directly, as the forwarder would call it.
    const error = await receiverRefusal(opts, receiver, report.rawReport);
    const receiverStatus =
      error === undefined
        ? EVM_PB.ReceiverContractExecutionStatus.SUCCESS
        : EVM_PB.ReceiverContractExecutionStatus.REVERTED;
    const estimate = await opts.publicClient
      .estimateContractGas({
        address: opts.forwarder,
        abi: forwarderAbi,
        functionName: "report",
        args,
        account,
      })
      .catch(() => 0n);
    const gasPrice = await opts.publicClient.getGasPrice();
    return {
      receiver,
      txStatus: EVM_PB.TxStatus.SUCCESS,
      receiverStatus,
      fee: estimate * gasPrice,
      simulated: true,
      sentByThisNode: false,
      error,
    };
  }

  const rank = opts.transmitRank(metadata.executionId);
  if (rank > 0) {
    await new Promise((r) => setTimeout(r, rank * opts.transmitDelayMs));
    const done = await delivered(opts, receiver, metadata.executionId, metadata.reportId);
    if (done) return done;
  }
  // One transaction per report that can land: a report the receiver refuses now (most often an epoch
  // another execution already settled) would cost a forwarder transaction that records a failure.
  // Ask the receiver first, as the forwarder would call it, and send nothing if it refuses.
  const refusal = await receiverRefusal(opts, receiver, report.rawReport);
  if (refusal !== undefined) {
    const done = await delivered(opts, receiver, metadata.executionId, metadata.reportId);
    if (done) return done;
    ctx.log(`WriteReport: not sent, the receiver refuses the report: ${refusal}`);
    return {
      receiver,
      txStatus: EVM_PB.TxStatus.SUCCESS,
      receiverStatus: EVM_PB.ReceiverContractExecutionStatus.REVERTED,
      simulated: false,
      sentByThisNode: false,
      error: refusal,
    };
  }
  let hash: Hex;
  try {
    hash = await opts.walletClient.writeContract({
      address: opts.forwarder,
      abi: forwarderAbi,
      functionName: "report",
      args,
      gas,
      chain: opts.walletClient.chain,
    });
  } catch (err) {
    const reason = revertReason(err);
    if (reason.startsWith("AlreadyAttempted")) {
      const done = await delivered(opts, receiver, metadata.executionId, metadata.reportId);
      if (done) return done;
    }
    ctx.log(`WriteReport: forwarder rejected the report: ${reason}`);
    return {
      receiver,
      txStatus: EVM_PB.TxStatus.FATAL,
      simulated: false,
      sentByThisNode: true,
      error: reason,
    };
  }
  const receipt = await opts.publicClient.waitForTransactionReceipt({
    hash,
    confirmations: opts.confirmations ?? 1,
  });
  const fee = receipt.gasUsed * receipt.effectiveGasPrice;
  if (receipt.status !== "success") {
    return {
      receiver,
      txHash: hash,
      txStatus: EVM_PB.TxStatus.REVERTED,
      fee,
      simulated: false,
      sentByThisNode: true,
    };
  }
  let receiverStatus = EVM_PB.ReceiverContractExecutionStatus.REVERTED;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== opts.forwarder.toLowerCase()) continue;
    try {
      const ev = decodeEventLog({ abi: forwarderAbi, ...log });
      if (ev.eventName === "ReportProcessed" && ev.args.result) {
        receiverStatus = EVM_PB.ReceiverContractExecutionStatus.SUCCESS;
      }
    } catch {
      // not a forwarder event we know
    }
  }
  return {
    receiver,
    txHash: hash,
    txStatus: EVM_PB.TxStatus.SUCCESS,
    receiverStatus,
    fee,
    simulated: false,
    sentByThisNode: true,
  };
}
