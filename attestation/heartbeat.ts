import { bytesToHex } from "./bytes";
import type { Ed25519Verify } from "./crypto/ed25519";
import { fail, ok, type Result } from "./errors";
import { type Message, verifyMessage } from "./messages/message";

export interface HeartbeatVerifierOptions {
  networkId: bigint;
  verify: Ed25519Verify;
  /** Registry lookup; an unknown key is a Sybil and gets UNKNOWN_DEVICE. Default: every key is known. */
  isRegistered?: (deviceId: Uint8Array) => boolean;
  /** Devices tracked for replay protection; least recently seen forgotten beyond this. */
  maxDevices?: number;
}

/**
 * Verifies heartbeats for one network: decode, context (kind, network, current epoch), signature,
 * registration, then replay (sequence number strictly above the last one accepted for the device
 * in this epoch). A replayed or forged heartbeat is rejected, never credited and never slashable:
 * anyone can resend old bytes or sign with a key of their own.
 */
export function createHeartbeatVerifier(opts: HeartbeatVerifierOptions) {
  const maxDevices = opts.maxDevices ?? 1_000_000;
  const last = new Map<string, { epoch: bigint; seq: bigint }>();
  return function verifyHeartbeat(bytes: Uint8Array, epoch: bigint): Result<Message<"heartbeat">> {
    const v = verifyMessage(bytes, { kind: "heartbeat", networkId: opts.networkId, epoch }, opts.verify);
    if (!v.ok) return v;
    const m = v.value;
    if (opts.isRegistered && !opts.isRegistered(m.signer))
      return fail("UNKNOWN_DEVICE", "heartbeat signer not registered");
    const key = bytesToHex(m.signer);
    const prev = last.get(key);
    if (prev && prev.epoch === epoch && m.body.seq <= prev.seq)
      return fail("REPLAY", `heartbeat seq ${m.body.seq} <= ${prev.seq}`);
    last.delete(key);
    if (last.size >= maxDevices) last.delete(last.keys().next().value as string);
    last.set(key, { epoch, seq: m.body.seq });
    return ok(m);
  };
}
export type HeartbeatVerifier = ReturnType<typeof createHeartbeatVerifier>;
