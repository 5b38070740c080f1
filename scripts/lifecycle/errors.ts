import {
  type Abi,
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Hex,
  HttpRequestError,
} from "viem";
import {
  keystoneForwarderAbi,
  vigilRegistryAbi,
  vigilSettlementAbi,
  vigilTokenAbi,
} from "../../contracts/index";

export type LifecycleErrorCode =
  /** A flag or file holds something malformed (address, peer id, amount, JSON). */
  | "INVALID_INPUT"
  /** No signing key: neither --private-key-file nor VIGIL_PRIVATE_KEY. */
  | "NO_KEY"
  /** The network id is not registered on this registry. */
  | "UNKNOWN_NETWORK"
  /** The device's signed registration does not verify, or names another network or owner. */
  | "BAD_REGISTRATION"
  /** The node's key files could not be read as plain keys (an encrypted keystore, or missing). */
  | "UNREADABLE_NODE_KEYS"
  /** The paying account holds too few tokens. */
  | "INSUFFICIENT_BALANCE"
  /** The contract refused the call (simulated before sending, so nothing was spent). */
  | "REVERTED"
  /** A sent transaction failed on chain. */
  | "TX_FAILED"
  /** A wait (`network status --wait-settled`) ran out of time. */
  | "TIMEOUT";

/** Errors of the lifecycle commands: a code for callers, a message for the operator, context for logs. */
export class LifecycleError extends Error {
  constructor(
    readonly code: LifecycleErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LifecycleError";
  }
}

/** Every custom error a lifecycle call can meet: the target's own, and those of the contracts it calls. */
const ERRORS: Abi = (
  [...vigilRegistryAbi, ...vigilSettlementAbi, ...vigilTokenAbi, ...keystoneForwarderAbi] as Abi
).filter((item) => item.type === "error");

/** `Name(arg=value, …)` of a revert, decoded against every Vigil ABI; undefined if it names no known error. */
export function decodeRevert(data: Hex): string | undefined {
  try {
    const decoded = decodeErrorResult({ abi: ERRORS, data });
    const inputs = decoded.abiItem.type === "error" ? decoded.abiItem.inputs : [];
    const args = (decoded.args ?? []).map((v, i) => `${inputs[i]?.name || i}=${String(v)}`);
    return `${decoded.errorName}(${args.join(", ")})`;
  } catch {
    return undefined;
  }
}

/**
 * One line for the operator: a contract revert as its custom error with arguments, an RPC failure as
 * viem's short message, anything else as its message. Never a stack trace.
 */
export function describeError(error: unknown): string {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name =
        (revert.raw && decodeRevert(revert.raw)) ??
        (revert.data && `${revert.data.errorName}(${(revert.data.args ?? []).map(String).join(", ")})`) ??
        revert.reason ??
        revert.signature ??
        "no reason given";
      const fn = /function "(\w+)"/.exec(error.message)?.[1];
      return `the contract refused ${fn ?? "the call"}: ${name}`;
    }
    const http = error.walk((e) => e instanceof HttpRequestError);
    if (http instanceof HttpRequestError)
      return `cannot reach the RPC at ${http.url}: ${http.details || http.shortMessage}`;
    return error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}
