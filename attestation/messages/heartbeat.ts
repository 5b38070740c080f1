import { Reader, Writer } from "../bytes";
import { AttestationError } from "../errors";
import { type Capabilities, readCapabilities, writeCapabilities } from "./capabilities";

/** Signed by the device, sent to each assigned node every heartbeat interval. */
export interface HeartbeatBody {
  seq: bigint; // u64, strictly increasing per device within an epoch (replay guard)
  timeMs: bigint; // u64, device clock, informative only
  loadBps: number; // u16, 0..10000
  capabilities: Capabilities;
}

export function encodeHeartbeatBody(b: HeartbeatBody): Uint8Array {
  const w = new Writer().u64(b.seq).u64(b.timeMs).u16(b.loadBps);
  return writeCapabilities(w, b.capabilities).finish();
}

export function decodeHeartbeatBody(body: Uint8Array): HeartbeatBody {
  const r = new Reader(body);
  const seq = r.u64("heartbeat.seq");
  const timeMs = r.u64("heartbeat.timeMs");
  const loadBps = r.u16("heartbeat.loadBps");
  if (loadBps > 10_000) throw new AttestationError("MALFORMED", `heartbeat.loadBps ${loadBps}`);
  const capabilities = readCapabilities(r);
  r.end("heartbeat");
  return { seq, timeMs, loadBps, capabilities };
}
