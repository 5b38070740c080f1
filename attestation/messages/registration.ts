import { Reader, Writer } from "../bytes";
import { MAX_STORAGE_CHUNK_BYTES } from "../constants";
import { AttestationError } from "../errors";
import { type Capabilities, readCapabilities, writeCapabilities } from "./capabilities";

/**
 * Signed by the device key: binds the device to its owner and to the Merkle root of the storage
 * it holds, so a storage proof against that root is attributable to the device.
 */
export interface RegistrationBody {
  owner: Uint8Array; // 20-byte Ethereum address that claims rewards
  capabilities: Capabilities;
  storageRoot: Uint8Array; // 32 bytes; zero when the device claims no storage
  storageChunks: number; // u32
  storageChunkBytes: number; // u32, <= 16 KiB
}

export function encodeRegistrationBody(b: RegistrationBody): Uint8Array {
  const w = new Writer().fixed(b.owner, 20);
  writeCapabilities(w, b.capabilities);
  return w.fixed(b.storageRoot, 32).u32(b.storageChunks).u32(b.storageChunkBytes).finish();
}

export function decodeRegistrationBody(body: Uint8Array): RegistrationBody {
  const r = new Reader(body);
  const owner = r.bytes(20, "registration.owner");
  const capabilities = readCapabilities(r);
  const storageRoot = r.bytes(32, "registration.storageRoot");
  const storageChunks = r.u32("registration.storageChunks");
  const storageChunkBytes = r.u32("registration.storageChunkBytes");
  if (storageChunkBytes > MAX_STORAGE_CHUNK_BYTES)
    throw new AttestationError("OVERSIZED", `registration.storageChunkBytes ${storageChunkBytes}`);
  if ((storageChunks === 0) !== (storageChunkBytes === 0))
    throw new AttestationError(
      "MALFORMED",
      "registration.storage: chunks and chunk size must both be zero or both set",
    );
  r.end("registration");
  return { owner, capabilities, storageRoot, storageChunks, storageChunkBytes };
}
