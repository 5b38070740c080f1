// Deterministic fixtures for tests (here and in other areas): keys from a label, a registered
// device with storage, a challenger. Not used on any production path.

import { Challenger } from "./challenges/challenger";
import { buildStorage, type StorageSet } from "./challenges/storage";
import type { Signer } from "./crypto/ed25519";
import { nodeSigner, nodeVerify } from "./crypto/node";
import { taggedHash } from "./hash";
import type { Capabilities } from "./messages/capabilities";
import { type Message, verifyMessage } from "./messages/message";
import { signMessage } from "./messages/sign";

export const keyFromLabel = (label: string): Signer =>
  nodeSigner(taggedHash("vigil.test.key", new TextEncoder().encode(label)));

export const testCapabilities: Capabilities = {
  gpuModel: "",
  gpuMemoryMiB: 0,
  storageBytes: 64n * 1024n,
  bandwidthClass: 0,
  computeClass: 0,
};

export interface TestDevice {
  signer: Signer;
  storage: StorageSet;
  registration: Message<"registration">;
}

export function testDevice(label: string, networkId: bigint, epoch = 0n): TestDevice {
  const signer = keyFromLabel(label);
  const storage = buildStorage(taggedHash("vigil.test.storage", signer.publicKey), 64, 1024);
  const bytes = signMessage(
    "registration",
    { networkId, epoch },
    {
      owner: new Uint8Array(20).fill(0xab),
      capabilities: testCapabilities,
      storageRoot: storage.root,
      storageChunks: 64,
      storageChunkBytes: 1024,
    },
    signer,
  );
  const registration = verifyMessage(bytes, { kind: "registration", networkId }, nodeVerify);
  if (!registration.ok) throw registration.error;
  return { signer, storage, registration: registration.value };
}

export const testChallenger = (label: string, networkId: bigint, random?: (n: number) => Uint8Array) =>
  new Challenger({ networkId, signer: keyFromLabel(label), verify: nodeVerify, random });

/** A device's signed registration with no storage, naming `owner` (default 0xabab…, the tests' chain owner). */
export const testRegistration = (
  signer: Signer,
  networkId: bigint,
  epoch = 0n,
  owner: Uint8Array = new Uint8Array(20).fill(0xab),
): Uint8Array =>
  signMessage(
    "registration",
    { networkId, epoch },
    {
      owner,
      capabilities: testCapabilities,
      storageRoot: new Uint8Array(32),
      storageChunks: 0,
      storageChunkBytes: 0,
    },
    signer,
  );
