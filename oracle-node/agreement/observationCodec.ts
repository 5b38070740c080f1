// Canonical binary encoding of an observation set. Binary rather than JSON because one node's
// observation of 100k devices is ~4 MB as bytes and several times that as JSON, and because the
// bytes are what gets hashed into the observations commitment, so they must have one form only.
//
//   u8 version(1) | u64 networkId | u64 epoch | 20B observer | u32 count |
//   count x ( 32B deviceId | u16 uptimeBps | u64 work | u8 flags |
//             [flags&1: u8 reason | u32 len | len B evidence] )
//
// Big-endian; devices strictly ascending by deviceId; no trailing bytes.
import { createHash } from "node:crypto";
import { type Address, getAddress, type Hex } from "viem";
import { AgreementError } from "./errors";
import type { DeviceObservation, ObservationSet } from "./types";

const VERSION = 1;
/** First payload byte of a relayed observation on the observations topic (then the observer's envelope). */
export const RELAY_TAG = 0x80;
export const MAX_EVIDENCE_BYTES = 64 * 1024;
const U64_MAX = (1n << 64n) - 1n;

const bad = (message: string, context: Record<string, unknown> = {}) =>
  new AgreementError("AGREEMENT_BAD_OBSERVATION", message, context);

function hexToBytes(hex: string, len: number, what: string): Buffer {
  if (!/^0x[0-9a-fA-F]*$/.test(hex) || hex.length !== 2 + 2 * len)
    throw bad(`${what} must be ${len} bytes`, { hex });
  return Buffer.from(hex.slice(2), "hex");
}

export function encodeObservation(o: ObservationSet): Uint8Array {
  let size = 1 + 8 + 8 + 20 + 4;
  for (const d of o.devices) size += 32 + 2 + 8 + 1 + (d.fraud ? 1 + 4 + d.fraud.evidence.length : 0);
  const out = Buffer.alloc(size);
  let p = 0;
  out[p++] = VERSION;
  if (o.networkId < 0n || o.networkId > U64_MAX || o.epoch < 0n || o.epoch > U64_MAX)
    throw bad("id out of range");
  out.writeBigUInt64BE(o.networkId, p);
  out.writeBigUInt64BE(o.epoch, p + 8);
  p += 16;
  hexToBytes(o.observer, 20, "observer").copy(out, p);
  p += 20;
  out.writeUInt32BE(o.devices.length, p);
  p += 4;
  let prev: Buffer | undefined;
  for (const d of o.devices) {
    const id = hexToBytes(d.deviceId, 32, "deviceId");
    if (prev && Buffer.compare(prev, id) >= 0) throw bad("devices must be sorted by deviceId and unique");
    prev = id;
    if (!Number.isInteger(d.uptimeBps) || d.uptimeBps < 0 || d.uptimeBps > 10_000)
      throw bad("uptimeBps out of range");
    if (d.work < 0n || d.work > U64_MAX) throw bad("work out of range");
    id.copy(out, p);
    out.writeUInt16BE(d.uptimeBps, p + 32);
    out.writeBigUInt64BE(d.work, p + 34);
    p += 42;
    if (d.fraud) {
      const { reason, evidence } = d.fraud;
      if (!Number.isInteger(reason) || reason < 0 || reason > 255) throw bad("fraud reason out of range");
      if (evidence.length > MAX_EVIDENCE_BYTES) throw bad("evidence too large");
      out[p++] = 1;
      out[p++] = reason;
      out.writeUInt32BE(evidence.length, p);
      p += 4;
      out.set(evidence, p);
      p += evidence.length;
    } else out[p++] = 0;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Strict decoder: anything but the canonical encoding throws AGREEMENT_BAD_OBSERVATION. */
export function decodeObservation(bytes: Uint8Array): ObservationSet {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (p: number, n: number) => {
    if (p + n > b.length) throw bad("truncated observation", { at: p });
  };
  need(0, 41);
  if (b[0] !== VERSION) throw bad(`unknown observation version ${b[0]}`);
  const networkId = b.readBigUInt64BE(1);
  const epoch = b.readBigUInt64BE(9);
  const observer = getAddress(`0x${b.subarray(17, 37).toString("hex")}`) as Address;
  const count = b.readUInt32BE(37);
  // Every entry takes at least 43 bytes: reject impossible counts before allocating.
  if (count * 43 > b.length - 41) throw bad("device count exceeds message size", { count });
  const devices: DeviceObservation[] = new Array(count);
  let p = 41;
  let prev: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    need(p, 43);
    const id = b.subarray(p, p + 32);
    if (prev && Buffer.compare(prev, id) >= 0) throw bad("devices not sorted or not unique", { index: i });
    prev = id;
    const uptimeBps = b.readUInt16BE(p + 32);
    if (uptimeBps > 10_000) throw bad("uptimeBps out of range", { index: i });
    const work = b.readBigUInt64BE(p + 34);
    const flags = b[p + 42];
    p += 43;
    const d: DeviceObservation = { deviceId: `0x${id.toString("hex")}` as Hex, uptimeBps, work };
    if (flags === 1) {
      need(p, 5);
      const reason = b[p]!;
      const len = b.readUInt32BE(p + 1);
      if (len > MAX_EVIDENCE_BYTES) throw bad("evidence too large", { index: i });
      need(p + 5, len);
      d.fraud = { reason, evidence: new Uint8Array(b.subarray(p + 5, p + 5 + len)) };
      p += 5 + len;
    } else if (flags !== 0) throw bad("bad flags", { index: i });
    devices[i] = d;
  }
  if (p !== b.length) throw bad("trailing bytes");
  return { networkId, epoch, observer, devices };
}

/** Observation hash: sha256 (native node:crypto; observations are megabytes, keccak in JS is ~10x slower). */
export function observationHash(bytes: Uint8Array): Hex {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}
