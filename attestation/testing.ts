// Deterministic fixtures for tests (here and in other areas): keys from a label, a registered
// device holding a storage client's replica, a challenger. Not used on any production path.

import { Challenger } from "./challenges/challenger";
import { chunkLeaf, type StorageSet, type StorageTarget } from "./challenges/storage";
import type { Signer } from "./crypto/ed25519";
import { nodeSigner, nodeVerify } from "./crypto/node";
import { finishCompute, startCompute } from "./device";
import { taggedHash } from "./hash";
import { merkleLevels, merkleRoot } from "./merkle";
import type { Capabilities } from "./messages/capabilities";
import { type Message, verifyMessage } from "./messages/message";
import { signMessage } from "./messages/sign";
import { replicaChunk } from "./storage/replica";

export const keyFromLabel = (label: string): Signer =>
  nodeSigner(taggedHash("vigil.test.key", new TextEncoder().encode(label)));

export const testCapabilities: Capabilities = {
  gpuModel: "",
  gpuMemoryMiB: 0,
  storageBytes: 64n * 1024n,
  bandwidthClass: 0,
  computeClass: 0,
};

/** The storage client of the test fixtures: its secret is never given to a test device. */
export const TEST_CLIENT_SECRET = taggedHash("vigil.test.storage-client");

/** A device's whole replica in memory, as the client derives it (`replicaChunk`). */
export function testReplica(
  deviceId: Uint8Array,
  chunks = 64,
  chunkBytes = 1024,
  clientSecret = TEST_CLIENT_SECRET,
): StorageSet {
  const data = Array.from({ length: chunks }, (_, i) => replicaChunk(clientSecret, deviceId, i, chunkBytes));
  const levels = merkleLevels(data.map((d, i) => chunkLeaf(i, d)));
  return { chunks: data, chunkBytes, levels, root: merkleRoot(levels) };
}

/** The target a storage set proves: what the chain would hold for the device. */
export const targetOf = (s: StorageSet): StorageTarget => ({
  storageRoot: s.root,
  storageChunks: s.levels[0]!.length,
  storageChunkBytes: s.chunkBytes,
});

export interface TestDevice {
  signer: Signer;
  /** Its replica (64 chunks of 1 KiB), held in memory. */
  storage: StorageSet;
  /** What its network's storage client registered for it on chain. */
  target: StorageTarget;
  registration: Message<"registration">;
}

export function testDevice(label: string, networkId: bigint, epoch = 0n): TestDevice {
  const signer = keyFromLabel(label);
  const storage = testReplica(signer.publicKey);
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
  return { signer, storage, target: targetOf(storage), registration: registration.value };
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

/**
 * A real compute exchange in which `device` signs wrong rows for `challenger` (whoever that is):
 * evidence whose content proves fraud. Who may judge it is the verifier's question.
 */
export function stagedComputeFraud(
  challenger: Signer,
  device: Signer,
  at: { networkId: bigint; epoch: bigint; beacon: Uint8Array },
): Uint8Array {
  const c = new Challenger({ networkId: at.networkId, signer: challenger, verify: nodeVerify });
  const now = BigInt(Date.now());
  const issued = c.issue({
    deviceId: device.publicKey,
    epoch: at.epoch,
    beacon: at.beacon,
    params: { type: "compute", n: 64, samples: 44 },
    nowMs: now,
  });
  const challenge = verifyMessage(issued.bytes, { kind: "challenge", networkId: at.networkId }, nodeVerify);
  if (!challenge.ok) throw challenge.error;
  const work = startCompute(device, challenge.value, { wrongResult: true });
  const opened = c.onCommit(work.commit, now);
  if (!opened.ok) throw opened.error;
  const verdict = c.onResponse(finishCompute(device, work, opened.value.salt), now);
  if (verdict.status !== "fraud") throw new Error(`staged exchange must prove fraud, got ${verdict.status}`);
  return verdict.evidence;
}
