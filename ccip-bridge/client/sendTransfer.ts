import { type Address, encodeAbiParameters, formatUnits, type Hex, isAddress, parseEventLogs } from "viem";
import { onRampAbi, routerClientAbi, tokenAbi, tokenPoolAbi } from "../abi.js";
import type { ChainClients } from "../deploy.js";
import { BridgeError, decodeRevert } from "../errors.js";
import type { LaneChain } from "../lane/laneConfig.js";

export interface SendTransferOptions {
  /** Source chain (its wallet pays and sends). */
  from: LaneChain;
  clients: ChainClients;
  to: LaneChain;
  /** Amount in wei of the token. */
  amount: bigint;
  toAddress: Address;
}

export interface SentTransfer {
  messageId: Hex;
  sequenceNumber: bigint;
  sourceChainSelector: bigint;
  destChainSelector: bigint;
  txHash: Hex;
  blockNumber: bigint;
}

/**
 * Sends `amount` reward tokens to `toAddress` on the other chain through the CCIP router (the lane's
 * or Chainlink's): approves the router if needed, checks the send by simulation so a pool refusal
 * (rate limit, curse) comes back decoded before any gas is spent, then sends and returns the message id.
 */
export async function sendTransfer(options: SendTransferOptions): Promise<SentTransfer> {
  const { from, to, clients, amount, toAddress } = options;
  if (amount <= 0n)
    throw new BridgeError("INVALID_INPUT", "amount must be positive", { context: { amount } });
  if (!isAddress(toAddress)) throw new BridgeError("INVALID_INPUT", `not an address: ${toAddress}`);
  const me = clients.wallet.account.address;
  const balance = await clients.public.readContract({
    address: from.token,
    abi: tokenAbi,
    functionName: "balanceOf",
    args: [me],
  });
  if (balance < amount) {
    throw new BridgeError(
      "INSUFFICIENT_BALANCE",
      `balance ${formatUnits(balance, 18)} VGL on ${from.name} is less than ${formatUnits(amount, 18)} VGL`,
    );
  }
  const allowance = await clients.public.readContract({
    address: from.token,
    abi: tokenAbi,
    functionName: "allowance",
    args: [me, from.router],
  });
  if (allowance < amount) {
    const hash = await clients.wallet.writeContract({
      address: from.token,
      abi: tokenAbi,
      functionName: "approve",
      args: [from.router, amount],
    });
    await clients.public.waitForTransactionReceipt({ hash });
  }
  const message = {
    receiver: encodeAbiParameters([{ type: "address" }], [toAddress]),
    data: "0x" as Hex,
    tokenAmounts: [{ token: from.token, amount }],
    feeToken: "0x0000000000000000000000000000000000000000" as Address,
    extraArgs: "0x" as Hex,
  };
  let hash: Hex;
  try {
    const fee = await clients.public.readContract({
      address: from.router,
      abi: routerClientAbi,
      functionName: "getFee",
      args: [to.chainSelector, message],
    });
    const { request } = await clients.public.simulateContract({
      account: clients.wallet.account,
      address: from.router,
      abi: [...routerClientAbi, ...tokenPoolAbi],
      functionName: "ccipSend",
      args: [to.chainSelector, message],
      value: fee,
    });
    hash = await clients.wallet.writeContract(request);
  } catch (error) {
    throw await explainSendError(error, options);
  }
  const receipt = await clients.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new BridgeError("REVERTED", `ccipSend ${hash} reverted`);
  const [sent] = parseEventLogs({ abi: onRampAbi, logs: receipt.logs, eventName: "CCIPMessageSent" });
  if (!sent) {
    throw new BridgeError(
      "REVERTED",
      `ccipSend ${hash} emitted no CCIPMessageSent (not a local-lane router?)`,
    );
  }
  return {
    messageId: sent.args.messageId,
    sequenceNumber: sent.args.sequenceNumber,
    sourceChainSelector: from.chainSelector,
    destChainSelector: to.chainSelector,
    txHash: hash,
    blockNumber: receipt.blockNumber,
  };
}

/** Turns a refused send into a `BridgeError` that says what the pool said, in tokens. */
export async function explainSendError(error: unknown, options: SendTransferOptions): Promise<BridgeError> {
  const { from, to, clients, amount } = options;
  const revert = decodeRevert(error);
  if (!revert)
    return new BridgeError("REVERTED", "the transfer was refused", { cause: error, details: String(error) });
  const vgl = (wei: bigint) => `${formatUnits(wei, 18)} VGL`;
  const context = { error: revert.errorName, args: revert.args };
  switch (revert.errorName) {
    case "TokenMaxCapacityExceeded":
    case "TokenRateLimitReached": {
      const [outbound] = await clients.public.readContract({
        address: from.pool,
        abi: tokenPoolAbi,
        functionName: "getCurrentRateLimiterState",
        args: [to.chainSelector, false],
      });
      const wait =
        revert.errorName === "TokenRateLimitReached"
          ? `; retry in ${String(revert.args[0])} s`
          : "; it can never pass: split it";
      return new BridgeError(
        revert.errorName === "TokenMaxCapacityExceeded" ? "RATE_LIMIT_CAPACITY" : "RATE_LIMIT_WAIT",
        `transfer of ${vgl(amount)} exceeds the outbound rate limit bucket (capacity ${vgl(outbound.capacity)}, available ${vgl(outbound.tokens)})${wait}`,
        { cause: error, details: `${revert.errorName} from the ${from.name} pool`, context },
      );
    }
    case "CursedByRMN":
      return new BridgeError(
        "CURSED",
        `the lane ${from.name} -> ${to.name} is cursed by the RMN; transfers are paused`,
        {
          cause: error,
          context,
        },
      );
    case "UnsupportedDestinationChain":
    case "ChainNotAllowed":
      return new BridgeError(
        "UNSUPPORTED_CHAIN",
        `${from.name} has no lane to chain selector ${to.chainSelector}`,
        {
          cause: error,
          context,
        },
      );
    case "UnsupportedToken":
      return new BridgeError("UNSUPPORTED_TOKEN", `token ${from.token} has no CCIP pool on ${from.name}`, {
        cause: error,
        context,
      });
    case "ERC20InsufficientBalance":
      return new BridgeError("INSUFFICIENT_BALANCE", `insufficient VGL balance on ${from.name}`, {
        cause: error,
        context,
      });
    default:
      return new BridgeError("REVERTED", `the transfer was refused: ${revert.errorName}`, {
        cause: error,
        context,
      });
  }
}
