import { toString as bytesToString } from "uint8arrays/to-string";
import { type Address, getAddress, type Hex, hexToBytes, type PublicClient } from "viem";
import { keystoneForwarderAbi, vigilRegistryAbi, vigilSettlementAbi } from "../../contracts/index";

/** IVigilRegistry.Status by index. */
export const STATUS_NAMES = ["none", "active", "exiting", "exited"] as const;

/** Blocks looked back for the signer's report transactions and slashes unless told otherwise. */
export const DEFAULT_LOOKBACK_BLOCKS = 10_000n;

export interface OperatorStatus {
  signer: Address;
  owner: Address;
  status: (typeof STATUS_NAMES)[number];
  stake: bigint;
  slashed: bigint;
  /** Unix seconds after which an exiting operator's stake can be withdrawn (0 unless exiting). */
  exitAvailableAt: bigint;
  /** The registered libp2p peer id as a string (empty if none). */
  peerId: string;
  /** The signer's native balance: what pays for its report transactions. */
  signerBalance: bigint;
  /** Blocks scanned for the figures below. */
  fromBlock: bigint;
  toBlock: bigint;
  /** `OracleSlashed` events naming this signer in the range. */
  slashes: { networkId: bigint; epoch: bigint; amount: bigint; blockNumber: bigint }[];
  /**
   * The reporter share of equivocation slashes it reported (from its signer or owner account) in
   * the range.
   */
  reporterRewards: bigint;
  /**
   * Its share of verification fees not yet withdrawn (`operatorEarnings(signer)`: per certified
   * result it contributed an observation to, plus its transmissions' gas; docs/contracts.md,
   * "Economics"). The signer withdraws it with `vigil operator withdraw-earnings`.
   */
  feeEarnings: bigint;
  /** Forwarder transactions sent from the signer that delivered a report (`ReportProcessed`), and their cost. */
  reportsSent: number;
  gasSpentWei: bigint;
}

/**
 * Registry state of an operator plus what it spent and earned over a bounded block range
 * (`lookback` blocks before the latest, not before the deployment block): gas is the sum of
 * gasUsed × effectiveGasPrice of every transaction that emitted a `ReportProcessed` for the
 * settlement contract and was sent by the signer (the node sends its reports from its signer key).
 * A transmission that reverted in the forwarder emits nothing and is not counted.
 */
export async function operatorStatus(
  client: PublicClient,
  t: { registry: Address; settlement: Address; forwarder: Address; deployBlock?: number },
  signer: Address,
  lookback: bigint = DEFAULT_LOOKBACK_BLOCKS,
): Promise<OperatorStatus> {
  const [op, latest, signerBalance, feeEarnings] = await Promise.all([
    client.readContract({
      address: t.registry,
      abi: vigilRegistryAbi,
      functionName: "getOperator",
      args: [signer],
    }),
    client.getBlockNumber(),
    client.getBalance({ address: signer }),
    client.readContract({
      address: t.settlement,
      abi: vigilSettlementAbi,
      functionName: "operatorEarnings",
      args: [signer],
    }),
  ]);
  const floor = BigInt(t.deployBlock ?? 0);
  const fromBlock = latest - lookback > floor ? latest - lookback : floor;
  const range = { fromBlock, toBlock: latest };
  const [slashEvents, reporterEvents, processed] = await Promise.all([
    client.getContractEvents({
      address: t.settlement,
      abi: vigilSettlementAbi,
      eventName: "OracleSlashed",
      args: { signer },
      ...range,
    }),
    client.getContractEvents({
      address: t.settlement,
      abi: vigilSettlementAbi,
      eventName: "OracleSlashed",
      ...range,
    }),
    client.getContractEvents({
      address: t.forwarder,
      abi: keystoneForwarderAbi,
      eventName: "ReportProcessed",
      args: { receiver: t.settlement },
      ...range,
    }),
  ]);
  const me = new Set([
    getAddress(signer),
    op.owner === "0x0000000000000000000000000000000000000000" ? "" : op.owner,
  ]);
  const reporterRewards = reporterEvents
    .filter((e) => e.args.reporter && me.has(getAddress(e.args.reporter)))
    .reduce((sum, e) => sum + (e.args.reporterReward ?? 0n), 0n);
  let reportsSent = 0;
  let gasSpentWei = 0n;
  const hashes = [...new Set(processed.map((l) => l.transactionHash))];
  // Bounded concurrency: a busy network emits thousands of reports within the range.
  for (let i = 0; i < hashes.length; i += 20) {
    const receipts = await Promise.all(
      hashes.slice(i, i + 20).map((hash) => client.getTransactionReceipt({ hash: hash as Hex })),
    );
    for (const r of receipts) {
      if (getAddress(r.from) !== getAddress(signer)) continue;
      reportsSent++;
      gasSpentWei += r.gasUsed * r.effectiveGasPrice;
    }
  }
  return {
    signer: getAddress(signer),
    owner: op.owner,
    status: STATUS_NAMES[op.status] ?? "none",
    stake: op.stake,
    slashed: op.slashed,
    exitAvailableAt: op.exitAvailableAt,
    peerId: op.peerId === "0x" ? "" : bytesToString(hexToBytes(op.peerId), "base58btc"),
    signerBalance,
    ...range,
    slashes: slashEvents.map((e) => ({
      networkId: e.args.networkId ?? 0n,
      epoch: e.args.epoch ?? 0n,
      amount: e.args.amount ?? 0n,
      blockNumber: e.blockNumber,
    })),
    reporterRewards,
    feeEarnings,
    reportsSent,
    gasSpentWei,
  };
}
