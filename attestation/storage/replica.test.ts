import { describe, expect, it } from "vitest";
import { equalBytes } from "../bytes";
import { buildStorage, judgeStorage, openChunks, storageSampleIndices } from "../challenges/storage";
import { taggedHash } from "../hash";
import { merkleRoot } from "../merkle";
import { keyFromLabel, TEST_CLIENT_SECRET, targetOf, testReplica } from "../testing";
import { replicaChunk, replicaKey, replicaTree } from "./replica";

const alice = keyFromLabel("replica-alice").publicKey;
const bob = keyFromLabel("replica-bob").publicKey;
const challengeId = taggedHash("replica-test-challenge");

describe("replica", () => {
  it("gives every device its own bytes and root, and the client's secret decides them", () => {
    const a = replicaTree(TEST_CLIENT_SECRET, alice, 64, 1024);
    const b = replicaTree(TEST_CLIENT_SECRET, bob, 64, 1024);
    const otherClient = replicaTree(new Uint8Array(32).fill(7), alice, 64, 1024);
    expect(equalBytes(a.target.storageRoot, b.target.storageRoot)).toBe(false);
    expect(equalBytes(a.target.storageRoot, otherClient.target.storageRoot)).toBe(false);
    for (let i = 0; i < 64; i++) {
      const chunk = replicaChunk(TEST_CLIENT_SECRET, alice, i, 1024);
      expect(chunk.length).toBe(1024);
      expect(equalBytes(chunk, replicaChunk(TEST_CLIENT_SECRET, bob, i, 1024))).toBe(false);
      // Chunks of one replica differ from each other too (no index can stand for another).
      if (i > 0) expect(equalBytes(chunk, replicaChunk(TEST_CLIENT_SECRET, alice, i - 1, 1024))).toBe(false);
    }
    // Deterministic: the client can re-derive any chunk (and the tree) from its secret alone.
    expect(replicaTree(TEST_CLIENT_SECRET, alice, 64, 1024).target).toEqual(a.target);
    expect(merkleRoot(a.levels)).toEqual(a.target.storageRoot);
    expect(targetOf(testReplica(alice))).toEqual(a.target);
  });

  it("refuses a client secret too short to be one, and chunk sizes the wire format cannot carry", () => {
    expect(() => replicaKey(new Uint8Array(8), alice)).toThrow(RangeError);
    expect(() => replicaChunk(TEST_CLIENT_SECRET, alice, 0, 0)).toThrow(RangeError);
    expect(() => replicaChunk(TEST_CLIENT_SECRET, alice, 0, 16 * 1024 + 1)).toThrow(RangeError);
  });

  it("a device without the client's secret cannot produce a chunk: every regenerated attempt fails the proof", () => {
    const target = targetOf(testReplica(alice));
    const indices = storageSampleIndices(challengeId, 64, 8);
    // What a device that kept nothing could try: derive the data from what it knows (its key, the
    // old seeded scheme, a guessed secret), build a tree over it and open the sampled chunks.
    const guesses = [
      buildStorage(alice, 64, 1024),
      buildStorage(taggedHash("vigil.fleet.storage", alice), 64, 1024),
      testReplica(alice, 64, 1024, alice.slice(0, 32)),
      testReplica(alice, 64, 1024, new Uint8Array(32)),
    ];
    for (const g of guesses) {
      const j = judgeStorage(challengeId, 8, target, openChunks(g, indices));
      expect(j.ok).toBe(false);
      if (!j.ok) expect(j.reason).toBe("storageMissing");
    }
    // Even with the right tree (its levels, which it could have kept) and guessed data, the leaves fail.
    const real = testReplica(alice);
    const levelsOnly = { ...real, chunks: guesses[0]!.chunks };
    expect(judgeStorage(challengeId, 8, target, openChunks(levelsOnly, indices)).ok).toBe(false);
    // The replica itself passes.
    expect(judgeStorage(challengeId, 8, target, openChunks(real, indices))).toEqual({ ok: true });
  });

  it("another device's replica fails: one copy cannot serve two keys", () => {
    const aliceTarget = targetOf(testReplica(alice));
    const bobs = testReplica(bob);
    const j = judgeStorage(
      challengeId,
      8,
      aliceTarget,
      openChunks(bobs, storageSampleIndices(challengeId, 64, 8)),
    );
    expect(j.ok).toBe(false);
    if (!j.ok) expect(j.reason).toBe("storageMissing");
  });
});
