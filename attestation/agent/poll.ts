import { bytesToHex, equalBytes, Reader, Writer } from "../bytes";
import type { Ed25519Verify, Signer } from "../crypto/ed25519";
import { AttestationError, fail, ok, type Result } from "../errors";

/**
 * First bytes of a signed challenge poll. Not Vigil's MAGIC ("VIGL" then version 1): a device key
 * signs both, and no poll may ever decode as a Vigil message (or one as a poll).
 */
export const POLL_DOMAIN = new TextEncoder().encode("vigil.poll.v1");
/** domain 13 | networkId u64 | nodeKey 32 | deviceId 32 | timeMs u64 | signature 64. */
export const POLL_BYTES = POLL_DOMAIN.length + 8 + 32 + 32 + 8 + 64;
/**
 * How far a poll's time may be from the node's clock, ms. The device signs on the node's clock as
 * `info()` showed it, so what is left is half a round trip plus its clock's drift since: well under
 * a second on a working link. 30 s also covers a request stalled up to the client's 10 s timeout and
 * a device clock drifting 100 ppm for three days; a poll held back longer is worth nothing.
 */
export const POLL_WINDOW_MS = 30_000n;
/** HTTP carries a poll as `Authorization: Vigil-Poll <hex>`. */
export const POLL_SCHEME = "Vigil-Poll";

/**
 * A device's request for its challenges from one node: signed by the device key, bound to the
 * network and to the node's key (a poll for node A is refused by node B), and to a time that the
 * node checks against its clock and that must increase from poll to poll (no replay).
 */
export interface Poll {
  networkId: bigint;
  /** The node's Ed25519 key (`GatewayInfo.nodeKey`), which signs its challenges. */
  nodeKey: Uint8Array;
  deviceId: Uint8Array;
  /** The node's clock, unix ms, as the device estimates it. */
  timeMs: bigint;
}

export function signPoll(poll: Omit<Poll, "deviceId">, signer: Signer): Uint8Array {
  const signing = new Writer()
    .bytes(POLL_DOMAIN)
    .u64(poll.networkId)
    .fixed(poll.nodeKey, 32)
    .fixed(signer.publicKey, 32)
    .u64(poll.timeMs)
    .finish();
  return new Writer().bytes(signing).fixed(signer.sign(signing), 64).finish();
}

/** Parses a poll without checking it (its `deviceId` is only a claim until `verifyPoll`). */
export function decodePoll(bytes: Uint8Array): Result<Poll & { signature: Uint8Array }> {
  try {
    const r = new Reader(bytes);
    if (!equalBytes(r.bytes(POLL_DOMAIN.length, "poll.domain"), POLL_DOMAIN))
      return fail("BAD_MAGIC", "poll: not a Vigil poll (domain)");
    const poll = {
      networkId: r.u64("poll.networkId"),
      nodeKey: r.bytes(32, "poll.nodeKey"),
      deviceId: r.bytes(32, "poll.deviceId"),
      timeMs: r.u64("poll.timeMs"),
      signature: r.bytes(64, "poll.signature"),
    };
    r.end("poll");
    return ok(poll);
  } catch (e) {
    if (e instanceof AttestationError) return { ok: false, error: e };
    throw e;
  }
}

export interface PollExpectation {
  networkId: bigint;
  /** This node's key: a poll bound to another node is refused. */
  nodeKey: Uint8Array;
  /** This node's clock, unix ms. */
  nowMs: bigint;
  windowMs?: bigint;
}

/**
 * Checks a poll: format, network, node, freshness (±`POLL_WINDOW_MS`), then the device's signature.
 * Replay (a time not above the device's last accepted poll) is the caller's check: it holds the state.
 */
export function verifyPoll(bytes: Uint8Array, expect: PollExpectation, verify: Ed25519Verify): Result<Poll> {
  const d = decodePoll(bytes);
  if (!d.ok) return d;
  const { signature, ...poll } = d.value;
  if (poll.networkId !== expect.networkId)
    return fail("WRONG_NETWORK", `poll: for network ${poll.networkId}, this is network ${expect.networkId}`);
  if (!equalBytes(poll.nodeKey, expect.nodeKey))
    return fail(
      "MISMATCH",
      `poll: signed for node 0x${bytesToHex(poll.nodeKey)}, this node is 0x${bytesToHex(expect.nodeKey)}`,
    );
  const window = expect.windowMs ?? POLL_WINDOW_MS;
  const off = poll.timeMs - expect.nowMs;
  if (off > window || -off > window)
    return fail(
      "DEADLINE",
      `poll: signed for ${poll.timeMs}, ${off} ms off this node's clock (window ±${window} ms)`,
    );
  if (!verify(poll.deviceId, bytes.subarray(0, POLL_BYTES - 64), signature))
    return fail("BAD_SIGNATURE", "poll: not signed by the device it names");
  return ok(poll);
}
