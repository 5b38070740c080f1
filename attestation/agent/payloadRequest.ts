import { equalBytes, Reader, Writer } from "../bytes";
import type { Ed25519Verify, Signer } from "../crypto/ed25519";
import { AttestationError, fail, ok, type Result } from "../errors";

/** First bytes of a signed payload request: never a Vigil message nor a poll (the device key signs all three). */
export const PAYLOAD_REQUEST_DOMAIN = new TextEncoder().encode("vigil.payload.v1");
/** domain 16 | challengeId 32 | deviceId 32 | signature 64. */
export const PAYLOAD_REQUEST_BYTES = PAYLOAD_REQUEST_DOMAIN.length + 32 + 32 + 64;

/**
 * A device's request for the payload of its bandwidth challenge, signed by the device key.
 *
 * Threat: a relay (another machine with a better link, or a Sybil farm's downloader) fetching the
 * payload for the device, so the node measures someone else's link. The node serves the payload
 * only to the challenged device's signature: a machine that can make this request holds the
 * device's key, and is the device as far as anyone can tell. It does not stop a device that
 * hands its key to a faster machine; nothing short of hardware attestation does.
 */
export function signPayloadRequest(challengeId: Uint8Array, signer: Signer): Uint8Array {
  const signing = new Writer()
    .bytes(PAYLOAD_REQUEST_DOMAIN)
    .fixed(challengeId, 32)
    .fixed(signer.publicKey, 32)
    .finish();
  return new Writer().bytes(signing).fixed(signer.sign(signing), 64).finish();
}

/** Checks a payload request's format and signature; the caller checks the challenge is the device's. */
export function verifyPayloadRequest(
  bytes: Uint8Array,
  verify: Ed25519Verify,
): Result<{ challengeId: Uint8Array; deviceId: Uint8Array }> {
  let challengeId: Uint8Array;
  let deviceId: Uint8Array;
  let signature: Uint8Array;
  try {
    const r = new Reader(bytes);
    if (!equalBytes(r.bytes(PAYLOAD_REQUEST_DOMAIN.length, "payload.domain"), PAYLOAD_REQUEST_DOMAIN))
      return fail("BAD_MAGIC", "payload request: not a Vigil payload request (domain)");
    challengeId = r.bytes(32, "payload.challengeId");
    deviceId = r.bytes(32, "payload.deviceId");
    signature = r.bytes(64, "payload.signature");
    r.end("payload request");
  } catch (e) {
    if (e instanceof AttestationError) return { ok: false, error: e };
    throw e;
  }
  if (!verify(deviceId, bytes.subarray(0, PAYLOAD_REQUEST_BYTES - 64), signature))
    return fail("BAD_SIGNATURE", "payload request: not signed by the device it names");
  return ok({ challengeId, deviceId });
}
