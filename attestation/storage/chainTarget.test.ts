// Storage challenges are judged against the target the chain holds for the device (its storage
// client registered it), never against what the device says it stores.
import { describe, expect, it } from "vitest";
import { createChallengerGateway } from "../agent/challengerGateway";
import { workUnitsOf } from "../challenges/judge";
import { openChunks, type StorageTarget, storageSampleIndices } from "../challenges/storage";
import { nodeVerify } from "../crypto/node";
import { answerStorage } from "../device";
import { verifyEvidence } from "../evidence";
import { challengeIdOf } from "../hash";
import { type Message, verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import { keyFromLabel, targetOf, testCapabilities, testChallenger, testReplica } from "../testing";
import type { Verdict } from "../verdict";

const NET = 12n;
const decode = (bytes: Uint8Array) => {
  const m = verifyMessage(bytes, { kind: "challenge", networkId: NET }, nodeVerify);
  if (!m.ok) throw m.error;
  return m.value;
};

describe("storage judged against the chain's target", () => {
  const device = keyFromLabel("target-device");
  const replica = testReplica(device.publicKey);
  const chain = new Map<string, StorageTarget>([
    [Buffer.from(device.publicKey).toString("hex"), targetOf(replica)],
  ]);

  function node(verdicts: Verdict[] = []) {
    return createChallengerGateway({
      networkId: NET,
      signer: keyFromLabel("target-node"),
      epoch: () => 0n,
      beacon: () => new Uint8Array(32),
      storageOf: (id) => chain.get(Buffer.from(id).toString("hex")),
      onVerdict: (v) => verdicts.push(v),
    });
  }
  /** The device's own signed registration, claiming whatever storage it likes. */
  const registration = (signer = device, claim?: StorageTarget) =>
    signMessage(
      "registration",
      { networkId: NET, epoch: 0n },
      {
        owner: new Uint8Array(20),
        capabilities: testCapabilities,
        storageRoot: claim?.storageRoot ?? new Uint8Array(32),
        storageChunks: claim?.storageChunks ?? 0,
        storageChunkBytes: claim?.storageChunkBytes ?? 0,
      },
      signer,
    );

  it("a device-signed root is ignored: the challenge names the chain's target", async () => {
    const verdicts: Verdict[] = [];
    const gw = node(verdicts);
    // It claims a small dataset it can regenerate at will (seeded, 1-byte chunks).
    const claimed: StorageTarget = {
      storageRoot: new Uint8Array(32).fill(0xee),
      storageChunks: 1,
      storageChunkBytes: 1,
    };
    await gw.register(registration(device, claimed));
    const challenge = decode(gw.issue(device.publicKey, "storage")!);
    expect(challenge.body.params).toMatchObject(targetOf(replica));
    await gw.respond(answerStorage(device, challenge, replica));
    gw.close();
    expect(verdicts).toMatchObject([{ status: "pass", type: "storage", workUnits: 1n }]);
  });

  it("no target on chain, no storage challenge, whatever the device claims", async () => {
    const stranger = keyFromLabel("no-target-device");
    const gw = node();
    await gw.register(registration(stranger, targetOf(testReplica(stranger.publicKey))));
    expect(gw.issue(stranger.publicKey, "storage")).toBeUndefined();
    expect(gw.issue(stranger.publicKey, "latency")).toBeDefined();
    gw.close();
  });

  it("a chunk of another device's replica fails, with evidence anyone can check", () => {
    const challenger = testChallenger("target-challenger", NET);
    const issued = challenger.issue({
      deviceId: device.publicKey,
      epoch: 0n,
      beacon: new Uint8Array(32),
      params: { type: "storage", samples: 8 },
      nowMs: 0n,
      ttlMs: 1_000,
      storage: targetOf(replica),
    });
    const challenge: Message<"challenge"> = decode(issued.bytes);
    // A cheat holding one copy for two keys: it opens the other key's chunks (and proofs) instead.
    const others = testReplica(keyFromLabel("sharing-device").publicKey);
    const id = challengeIdOf(challenge.signingBytes);
    const response = signMessage(
      "response",
      { networkId: NET, epoch: 0n },
      { challengeId: id, type: "storage", chunks: openChunks(others, storageSampleIndices(id, 64, 8)) },
      device,
    );
    const v = challenger.onResponse(response, 1n);
    expect(v.status === "fraud" && v.reason).toBe("storageMissing");
    if (v.status !== "fraud") return;
    const proven = verifyEvidence(v.evidence, { networkId: NET, judges: "unchecked" }, nodeVerify);
    expect(proven.ok && proven.value.reason).toBe("storageMissing");
  });

  it("credit scales with the bytes the target covers, in 64 KiB units", () => {
    const challenge = (t: StorageTarget) =>
      decode(
        signMessage(
          "challenge",
          { networkId: NET, epoch: 0n },
          {
            deviceId: device.publicKey,
            beacon: new Uint8Array(32),
            nonce: new Uint8Array(32),
            saltHash: new Uint8Array(32),
            issuedAtMs: 0n,
            deadlineMs: 1n,
            params: { type: "storage", samples: 8, ...t },
          },
          keyFromLabel("target-node"),
        ),
      );
    const units = (chunks: number, chunkBytes: number) =>
      workUnitsOf(
        challenge({ storageRoot: new Uint8Array(32), storageChunks: chunks, storageChunkBytes: chunkBytes }),
      );
    expect(units(64, 1024)).toBe(1n); // the fleet's replica
    expect(units(1, 1)).toBe(0n); // a 1-byte chunk earns nothing
    expect(units(63, 1024)).toBe(0n); // under one unit, rounded down
    expect(units(65_536, 16 * 1024)).toBe(16_384n); // 1 GiB
    expect(units(2 ** 32 - 1, 16 * 1024)).toBe(((2n ** 32n - 1n) * 16n * 1024n) / 65_536n); // the largest target
  });
});
