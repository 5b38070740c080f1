import { Reader, Writer } from "../bytes";
import { AttestationError } from "../errors";
import { type Capabilities, readCapabilities, writeCapabilities } from "./capabilities";

/**
 * A liveness ticket's size: 32 random bytes from the node, so a device cannot guess one it was not
 * given (2^-256 per try) and two the node draws never collide.
 */
export const HEARTBEAT_TICKET_BYTES = 32;
/** The echoed ticket when the device holds none from this node (32 zero bytes). */
export const noTicket = (): Uint8Array => new Uint8Array(HEARTBEAT_TICKET_BYTES);
export const isNoTicket = (ticket: Uint8Array): boolean => ticket.every((b) => b === 0);

/**
 * Where the fixed fields sit in the body, for readers that skip decoding (the node's bulk path):
 * `seq u64 | timeMs u64 | ticket bytes32 | loadBps u16 | capabilities`.
 */
export const HEARTBEAT_TIME_OFFSET = 8;
export const HEARTBEAT_TICKET_OFFSET = 16;

/** Signed by the device, sent to each assigned node every heartbeat interval. */
export interface HeartbeatBody {
  seq: bigint; // u64, strictly increasing per device within an epoch (replay guard)
  /** u64, unix ms on the receiving node's clock (the agent corrects its own by the measured skew). */
  timeMs: bigint;
  /**
   * bytes32: the newest liveness ticket the receiving node gave this device (in its answer to a
   * registration or heartbeat), zero bytes for none. Only a heartbeat echoing a fresh ticket of the
   * node's own earns uptime there: it proves the device signed it after the node spoke.
   */
  ticket: Uint8Array;
  loadBps: number; // u16, 0..10000
  capabilities: Capabilities;
}

export function encodeHeartbeatBody(b: HeartbeatBody): Uint8Array {
  const w = new Writer().u64(b.seq).u64(b.timeMs).fixed(b.ticket, HEARTBEAT_TICKET_BYTES).u16(b.loadBps);
  return writeCapabilities(w, b.capabilities).finish();
}

export function decodeHeartbeatBody(body: Uint8Array): HeartbeatBody {
  const r = new Reader(body);
  const seq = r.u64("heartbeat.seq");
  const timeMs = r.u64("heartbeat.timeMs");
  const ticket = r.bytes(HEARTBEAT_TICKET_BYTES, "heartbeat.ticket");
  const loadBps = r.u16("heartbeat.loadBps");
  if (loadBps > 10_000) throw new AttestationError("MALFORMED", `heartbeat.loadBps ${loadBps}`);
  const capabilities = readCapabilities(r);
  r.end("heartbeat");
  return { seq, timeMs, ticket, loadBps, capabilities };
}
