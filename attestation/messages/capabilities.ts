import type { Reader, Writer } from "../bytes";
import { MAX_COMPUTE_CLASS } from "../constants";
import { AttestationError } from "../errors";

/** What a device claims it can do; the claimed compute class sets its compute challenge size. */
export interface Capabilities {
  gpuModel: string; // free text, <= 255 UTF-8 bytes; "" for CPU-only
  gpuMemoryMiB: number; // u32
  storageBytes: bigint; // u64
  bandwidthClass: number; // u8, 0..15: claimed 2^class Mbit/s
  computeClass: number; // u8, 0..4: compute challenge n = 64 << class
}

export function writeCapabilities(w: Writer, c: Capabilities): Writer {
  return w
    .shortString(c.gpuModel)
    .u32(c.gpuMemoryMiB)
    .u64(c.storageBytes)
    .u8(c.bandwidthClass)
    .u8(c.computeClass);
}

export function readCapabilities(r: Reader): Capabilities {
  const gpuModel = r.shortString("capabilities.gpuModel");
  const gpuMemoryMiB = r.u32("capabilities.gpuMemoryMiB");
  const storageBytes = r.u64("capabilities.storageBytes");
  const bandwidthClass = r.u8("capabilities.bandwidthClass");
  if (bandwidthClass > 15)
    throw new AttestationError("MALFORMED", `capabilities.bandwidthClass ${bandwidthClass}`);
  const computeClass = r.u8("capabilities.computeClass");
  if (computeClass > MAX_COMPUTE_CLASS)
    throw new AttestationError("MALFORMED", `capabilities.computeClass ${computeClass}`);
  return { gpuModel, gpuMemoryMiB, storageBytes, bandwidthClass, computeClass };
}
