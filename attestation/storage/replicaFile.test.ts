import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createChallengerGateway } from "../agent/challengerGateway";
import { startDeviceAgent } from "../agent/deviceAgent";
import type { StorageTarget } from "../challenges/storage";
import { keyFromLabel, TEST_CLIENT_SECRET, testCapabilities } from "../testing";
import type { Verdict } from "../verdict";
import { replicaChunk, replicaTree } from "./replica";
import { openReplicaFile, StorageError, writeReplicaFile } from "./replicaFile";

const dir = mkdtempSync(join(tmpdir(), "vigil-replica-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("replica files", () => {
  it("the client writes the replica, the device rebuilds the same target and reads chunks where they are", async () => {
    const device = keyFromLabel("file-device").publicKey;
    const file = join(dir, "roundtrip");
    // 130 chunks: more than one read block, and a last block that is not full.
    const target = writeReplicaFile(file, TEST_CLIENT_SECRET, device, 130, 512);
    expect(statSync(file).size).toBe(130 * 512);
    expect(target).toEqual(replicaTree(TEST_CLIENT_SECRET, device, 130, 512).target);
    const held = await openReplicaFile(file, 130, 512);
    expect(held.target).toEqual(target);
    const set = await held.read([0, 64, 129]);
    for (const i of [0, 64, 129])
      expect(set.chunks[i]).toEqual(replicaChunk(TEST_CLIENT_SECRET, device, i, 512));
    expect(set.chunks[1]).toBeUndefined();
    expect(set.root).toEqual(target.storageRoot);
    await expect(held.read([130])).rejects.toThrow(RangeError);
  });

  it("refuses a file of the wrong size, and a missing one", async () => {
    const file = join(dir, "short");
    writeReplicaFile(file, TEST_CLIENT_SECRET, keyFromLabel("short").publicKey, 16, 256);
    truncateSync(file, 16 * 256 - 1);
    const err = await openReplicaFile(file, 16, 256).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ code: "REPLICA_SIZE", context: { size: 16 * 256 - 1, expected: 16 * 256 } });
    await expect(openReplicaFile(join(dir, "absent"), 16, 256)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("the device agent answers from its replica file", () => {
  /** A node that asks `deviceId` for storage, judged against `target` (the chain's), every 50 ms. */
  function storageNode(target: StorageTarget) {
    const verdicts: Verdict[] = [];
    const node = createChallengerGateway({
      networkId: 11n,
      signer: keyFromLabel("file-node"),
      epoch: () => 0n,
      beacon: () => new Uint8Array(32),
      storageOf: () => target,
      schedule: { intervalMs: 50, types: ["storage"] },
      ttlMs: 2_000,
      onVerdict: (v) => verdicts.push(v),
    });
    return { node, verdicts };
  }
  // 8 chunks and 8 samples a challenge: every chunk is read each time, so one bad byte is always seen.
  const CHUNKS = 8;
  const agentFor = (label: string, file: string, gw: ReturnType<typeof storageNode>["node"]) =>
    startDeviceAgent({
      signer: keyFromLabel(label),
      owner: new Uint8Array(20),
      capabilities: testCapabilities,
      storage: { file, chunks: CHUNKS, chunkBytes: 8 * 1024 },
      gateways: [gw],
      heartbeatIntervalMs: 40,
      pollWaitMs: 100,
    });

  it("passes, worth the bytes it holds; a byte flipped on disk afterwards is proven missing", async () => {
    const signer = keyFromLabel("disk-device");
    const file = join(dir, "disk-device");
    const target = writeReplicaFile(file, TEST_CLIENT_SECRET, signer.publicKey, CHUNKS, 8 * 1024);
    const { node, verdicts } = storageNode(target);
    const agent = agentFor("disk-device", file, node);
    try {
      await vi.waitFor(() => expect(verdicts.some((v) => v.status === "pass")).toBe(true), {
        timeout: 10_000,
        interval: 20,
      });
      // 8 × 8 KiB = 64 KiB: one storage unit.
      const pass = verdicts.find((v) => v.status === "pass");
      expect(pass?.status === "pass" && pass.workUnits).toBe(1n);
      // Bit rot after start: the tree the agent kept no longer matches what it reads.
      const bytes = readFileSync(file);
      bytes[3 * 8 * 1024 + 100]! ^= 0x01;
      writeFileSync(file, bytes);
      await vi.waitFor(() => expect(verdicts.some((v) => v.status === "fraud")).toBe(true), {
        timeout: 10_000,
        interval: 20,
      });
    } finally {
      await agent.stop();
      node.close();
    }
    const fraud = verdicts.find((v) => v.status === "fraud");
    expect(fraud?.status === "fraud" && fraud.reason).toBe("storageMissing");
  });

  it("a file with a flipped byte at start is not the registered replica: every challenge refused, nothing signed", async () => {
    const signer = keyFromLabel("rotten-device");
    const file = join(dir, "rotten-device");
    const target = writeReplicaFile(file, TEST_CLIENT_SECRET, signer.publicKey, CHUNKS, 8 * 1024);
    const bytes = readFileSync(file);
    bytes[5]! ^= 0x80;
    writeFileSync(file, bytes);
    const { node, verdicts } = storageNode(target);
    const agent = agentFor("rotten-device", file, node);
    try {
      await vi.waitFor(() => expect(agent.stats.challengesRefused).toBeGreaterThanOrEqual(2), {
        timeout: 10_000,
        interval: 20,
      });
    } finally {
      await agent.stop();
      node.close();
    }
    expect(verdicts.filter((v) => v.status === "pass" || v.status === "fraud")).toEqual([]);
  });

  it("a device given no replica answers no storage challenge (silent), and is never slashed", async () => {
    const signer = keyFromLabel("empty-device");
    const target = replicaTree(TEST_CLIENT_SECRET, signer.publicKey, CHUNKS, 8 * 1024).target;
    const { node, verdicts } = storageNode(target);
    const agent = startDeviceAgent({
      signer,
      owner: new Uint8Array(20),
      capabilities: testCapabilities,
      gateways: [node],
      heartbeatIntervalMs: 40,
      pollWaitMs: 100,
    });
    try {
      await vi.waitFor(() => expect(agent.stats.challengesSilent).toBeGreaterThanOrEqual(2), {
        timeout: 10_000,
        interval: 20,
      });
    } finally {
      await agent.stop();
      node.close();
    }
    expect(verdicts.filter((v) => v.status === "pass" || v.status === "fraud")).toEqual([]);
    expect(agent.stats.errors).toBe(0);
  });
});
