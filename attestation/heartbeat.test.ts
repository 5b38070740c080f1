import { describe, expect, it } from "vitest";
import { nodeVerify } from "./crypto/node";
import { createHeartbeatVerifier } from "./heartbeat";
import { noTicket } from "./messages/heartbeat";
import { signMessage } from "./messages/sign";
import { keyFromLabel, testCapabilities } from "./testing";

const NET = 3n;
const device = keyFromLabel("hb-device");
const sybil = keyFromLabel("hb-sybil");
const hb = (signer = device, seq = 1n, epoch = 1n) =>
  signMessage(
    "heartbeat",
    { networkId: NET, epoch },
    { seq, timeMs: 0n, ticket: noTicket(), loadBps: 0, capabilities: testCapabilities },
    signer,
  );
const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? "ok" : r.error?.code);

describe("heartbeat verifier", () => {
  const registered = new Set([Buffer.from(device.publicKey).toString("hex")]);
  const verify = createHeartbeatVerifier({
    networkId: NET,
    verify: nodeVerify,
    isRegistered: (id) => registered.has(Buffer.from(id).toString("hex")),
  });

  it("accepts increasing sequence numbers and rejects replays", () => {
    expect(code(verify(hb(device, 1n), 1n))).toBe("ok");
    expect(code(verify(hb(device, 2n), 1n))).toBe("ok");
    expect(code(verify(hb(device, 2n), 1n))).toBe("REPLAY");
    expect(code(verify(hb(device, 1n), 1n))).toBe("REPLAY");
    // A heartbeat from the previous epoch replayed now fails on its signed epoch.
    expect(code(verify(hb(device, 9n, 1n), 2n))).toBe("WRONG_EPOCH");
    expect(code(verify(hb(device, 1n, 2n), 2n))).toBe("ok");
  });

  it("rejects unregistered (Sybil) devices and forged signatures", () => {
    expect(code(verify(hb(sybil, 1n), 1n))).toBe("UNKNOWN_DEVICE");
    const forged = hb(device, 10n);
    forged[forged.length - 5]! ^= 1;
    expect(code(verify(forged, 1n))).toBe("BAD_SIGNATURE");
  });
});
