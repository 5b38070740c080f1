import type { Any } from "@bufbuild/protobuf/wkt";
import type { Hex } from "viem";

/** What a capability call knows about the execution it serves. */
export interface CapabilityCallContext {
  executionId: Hex;
  callbackId: number;
  log(message: string): void;
}

/** A capability the node serves to workflows, addressed by its CRE id (e.g. `http-actions@1.0.0-alpha`). */
export interface Capability {
  readonly id: string;
  /** Runs one method; throws to answer the workflow with an error. */
  call(method: string, payload: Any, ctx: CapabilityCallContext): Promise<Any>;
}

/** Converts between CRE's `values.v1.BigInt` (sign + big-endian magnitude) and bigint. */
export function fromProtoBigInt(b: { absVal: Uint8Array; sign: bigint } | undefined): bigint {
  if (!b) return 0n;
  let x = 0n;
  for (const byte of b.absVal) x = (x << 8n) | BigInt(byte);
  return b.sign < 0n ? -x : x;
}

export function toProtoBigInt(n: bigint): { absVal: Uint8Array; sign: bigint } {
  const abs = n < 0n ? -n : n;
  const hex = abs.toString(16);
  const padded = hex.length % 2 ? `0${hex}` : hex;
  const absVal = abs === 0n ? new Uint8Array() : Uint8Array.from(Buffer.from(padded, "hex"));
  return { absVal, sign: n === 0n ? 0n : n < 0n ? -1n : 1n };
}
