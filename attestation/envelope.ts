import { concatBytes, Reader, Writer } from "./bytes";
import {
  HEADER_BYTES,
  kindName,
  MAGIC,
  MAX_MESSAGE_BYTES,
  MessageKind,
  type MessageKindName,
  SIGNATURE_BYTES,
  VERSION,
} from "./constants";
import type { Signer } from "./crypto/ed25519";
import { AttestationError } from "./errors";

/** The signed context every message carries: replays across networks, epochs or kinds fail on it. */
export interface Header {
  kind: MessageKindName;
  networkId: bigint;
  epoch: bigint;
  /** Raw Ed25519 public key of the signer (deviceId, or the challenger's key). */
  signer: Uint8Array;
}

export interface RawEnvelope extends Header {
  body: Uint8Array;
  /** Everything before the signature: what the signer signed. */
  signingBytes: Uint8Array;
  signature: Uint8Array;
  bytes: Uint8Array;
}

export function encodeSigningBytes(header: Header, body: Uint8Array): Uint8Array {
  return new Writer()
    .fixed(MAGIC, 4)
    .u8(VERSION)
    .u8(MessageKind[header.kind])
    .u64(header.networkId)
    .u64(header.epoch)
    .fixed(header.signer, 32)
    .varBytes(body)
    .finish();
}

export function sealEnvelope(header: Omit<Header, "signer">, body: Uint8Array, signer: Signer): Uint8Array {
  const signingBytes = encodeSigningBytes({ ...header, signer: signer.publicKey }, body);
  return concatBytes(signingBytes, signer.sign(signingBytes));
}

/** Parses the envelope structure; throws `AttestationError` (callers convert to `Result`). */
export function parseEnvelope(bytes: Uint8Array): RawEnvelope {
  if (bytes.length > MAX_MESSAGE_BYTES)
    throw new AttestationError("OVERSIZED", `message: ${bytes.length} > ${MAX_MESSAGE_BYTES} bytes`);
  if (bytes.length < HEADER_BYTES + SIGNATURE_BYTES)
    throw new AttestationError(
      "TRUNCATED",
      `message: ${bytes.length} bytes, shorter than header + signature`,
    );
  const r = new Reader(bytes);
  const magic = r.bytes(4, "magic");
  if (magic.some((b, i) => b !== MAGIC[i])) throw new AttestationError("BAD_MAGIC", "magic");
  const version = r.u8("version");
  if (version !== VERSION) throw new AttestationError("UNSUPPORTED_VERSION", `version ${version}`);
  const kindCode = r.u8("kind");
  const kind = kindName(kindCode);
  if (!kind) throw new AttestationError("UNKNOWN_KIND", `kind ${kindCode}`);
  const networkId = r.u64("networkId");
  const epoch = r.u64("epoch");
  const signer = r.bytes(32, "signer");
  const body = r.varBytes("body", MAX_MESSAGE_BYTES);
  const signingEnd = r.offset;
  const signature = r.bytes(SIGNATURE_BYTES, "signature");
  r.end("message");
  return {
    kind,
    networkId,
    epoch,
    signer,
    body,
    signingBytes: bytes.subarray(0, signingEnd),
    signature,
    bytes,
  };
}
