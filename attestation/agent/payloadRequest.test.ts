import { describe, expect, it } from "vitest";
import { nodeVerify } from "../crypto/node";
import { challengeIdOf } from "../hash";
import { verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import { keyFromLabel, testCapabilities } from "../testing";
import { createChallengerGateway } from "./challengerGateway";
import { PAYLOAD_REQUEST_BYTES, signPayloadRequest, verifyPayloadRequest } from "./payloadRequest";

const device = keyFromLabel("payload-device");
const relay = keyFromLabel("payload-relay");

describe("payload requests", () => {
  it("verify only with the named device's signature, and refuse malformed bytes with the failed check", () => {
    const id = new Uint8Array(32).fill(7);
    const req = signPayloadRequest(id, device);
    expect(req.length).toBe(PAYLOAD_REQUEST_BYTES);
    const ok = verifyPayloadRequest(req, nodeVerify);
    expect(ok.ok && ok.value.challengeId).toEqual(id);
    const forged = req.slice();
    forged.set(device.publicKey, 16 + 32); // claims the device, signed by the relay below
    forged.set(relay.sign(forged.subarray(0, PAYLOAD_REQUEST_BYTES - 64)), PAYLOAD_REQUEST_BYTES - 64);
    expect(verifyPayloadRequest(forged, nodeVerify)).toMatchObject({
      ok: false,
      error: { code: "BAD_SIGNATURE" },
    });
    expect(verifyPayloadRequest(req.subarray(0, 100), nodeVerify)).toMatchObject({ ok: false });
    expect(verifyPayloadRequest(new Uint8Array(PAYLOAD_REQUEST_BYTES), nodeVerify)).toMatchObject({
      ok: false,
      error: { code: "BAD_MAGIC" },
    });
  });

  it("the node serves a bandwidth payload to the challenged device only, not to a relay", async () => {
    const gw = createChallengerGateway({
      networkId: 1n,
      signer: keyFromLabel("payload-node"),
      epoch: () => 0n,
      beacon: () => new Uint8Array(32),
    });
    await gw.register(
      signMessage(
        "registration",
        { networkId: 1n, epoch: 0n },
        {
          owner: new Uint8Array(20),
          capabilities: testCapabilities,
          storageRoot: new Uint8Array(32),
          storageChunks: 0,
          storageChunkBytes: 0,
        },
        device,
      ),
    );
    const bytes = gw.issue(device.publicKey, "bandwidth");
    expect(bytes).toBeDefined();
    const m = verifyMessage(bytes!, { kind: "challenge", networkId: 1n }, nodeVerify);
    if (!m.ok) throw m.error;
    const id = challengeIdOf(m.value.signingBytes);
    // The relay signs with its own key: no such challenge for it.
    await expect(gw.payload(signPayloadRequest(id, relay))).rejects.toMatchObject({ code: "NOT_FOUND" });
    const payload = await gw.payload(signPayloadRequest(id, device));
    expect(payload.length).toBe(m.value.body.params.type === "bandwidth" ? m.value.body.params.bytes : -1);
    gw.close();
  });
});
