import { describe, expect, it } from "vitest";
import { nodeVerify } from "../crypto/node";
import { noTicket } from "../messages/heartbeat";
import { decodeMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import { keyFromLabel, testCapabilities } from "../testing";
import { decodePoll, POLL_BYTES, signPoll, verifyPoll } from "./poll";

const device = keyFromLabel("poll-unit-device");
const nodeKey = keyFromLabel("poll-unit-node").publicKey;
const expect0 = { networkId: 3n, nodeKey, nowMs: 1_000_000n };

describe("signed polls", () => {
  it("round-trip and verify; the domain keeps polls and Vigil messages apart", () => {
    const poll = signPoll({ networkId: 3n, nodeKey, timeMs: 1_000_000n }, device);
    expect(poll).toHaveLength(POLL_BYTES);
    const v = verifyPoll(poll, expect0, nodeVerify);
    expect(v.ok && v.value).toEqual({
      networkId: 3n,
      nodeKey,
      deviceId: device.publicKey,
      timeMs: 1_000_000n,
    });
    // Neither parses as the other, so no signature over one can be passed off as the other.
    expect(decodeMessage(poll)).toMatchObject({ ok: false, error: { code: "BAD_MAGIC" } });
    const heartbeat = signMessage(
      "heartbeat",
      { networkId: 3n, epoch: 0n },
      { seq: 1n, timeMs: 0n, ticket: noTicket(), loadBps: 0, capabilities: testCapabilities },
      device,
    );
    expect(decodePoll(heartbeat)).toMatchObject({ ok: false, error: { code: "BAD_MAGIC" } });
  });

  it("names the failed check: any changed byte, truncation or trailing bytes", () => {
    const poll = signPoll({ networkId: 3n, nodeKey, timeMs: 1_000_000n }, device);
    for (let i = 0; i < poll.length; i++) {
      const bad = poll.slice();
      bad[i]! ^= 1;
      expect(verifyPoll(bad, expect0, nodeVerify).ok, `byte ${i}`).toBe(false);
    }
    expect(verifyPoll(poll.subarray(0, 100), expect0, nodeVerify)).toMatchObject({
      error: { code: "TRUNCATED" },
    });
    const long = new Uint8Array(POLL_BYTES + 1);
    long.set(poll);
    expect(verifyPoll(long, expect0, nodeVerify)).toMatchObject({ error: { code: "TRAILING_BYTES" } });
  });
});
