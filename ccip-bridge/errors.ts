import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex } from "viem";
import { bridgeErrorsAbi } from "./abi.js";

export type BridgeErrorCode =
  | "RATE_LIMIT_CAPACITY" // the transfer is bigger than the bucket can ever hold
  | "RATE_LIMIT_WAIT" // the bucket holds too little right now; it refills over time
  | "CURSED" // RMN cursed the lane
  | "UNSUPPORTED_CHAIN"
  | "UNSUPPORTED_TOKEN"
  | "INSUFFICIENT_BALANCE"
  | "ALREADY_DELIVERED"
  | "UNAUTHORIZED"
  | "INVALID_INPUT"
  | "NOT_FOUND"
  | "TIMEOUT"
  | "CONFIG"
  | "REVERTED"; // any other revert, decoded name in `details`

export interface BridgeErrorOptions {
  details?: string;
  cause?: unknown;
  context?: Record<string, unknown>;
}

/** The one error type the bridge throws: a code to branch on, a short message for people. */
export class BridgeError extends Error {
  override name = "BridgeError";
  readonly code: BridgeErrorCode;
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly context: Record<string, unknown>;

  constructor(code: BridgeErrorCode, shortMessage: string, options: BridgeErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, {
      cause: options.cause,
    });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.context = options.context ?? {};
  }
}

export interface DecodedRevert {
  errorName: string;
  args: readonly unknown[];
}

/** Finds the custom error inside a viem error (simulation, estimate or receipt), if there is one. */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    if (reverted.data) return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
    if (reverted.raw) return decodeRaw(reverted.raw);
  }
  // A revert seen through eth_estimateGas / eth_sendTransaction carries the raw data deeper down.
  const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string");
  const raw = (withData as { data?: unknown } | null)?.data;
  return typeof raw === "string" && raw.startsWith("0x") ? decodeRaw(raw as Hex) : undefined;
}

function decodeRaw(data: Hex): DecodedRevert | undefined {
  try {
    const decoded = decodeErrorResult({ abi: bridgeErrorsAbi, data });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}
