import { describe, expect, it } from "vitest";
import { assignedOracles } from "./assignment";
import { bandwidthPayload, payloadHash } from "./challenges/bandwidth";
import { buildStorage } from "./challenges/storage";
import { nodeVerify } from "./crypto/node";
import {
  answerBandwidth,
  answerStorage,
  type ChallengeExpect,
  checkChallenge,
  checkChallenger,
  finishCompute,
  MAX_DEADLINE_AHEAD_MS,
  startCompute,
} from "./device";
import { AttestationError } from "./errors";
import { keccak256 } from "./hash";
import type { ChallengeParams } from "./messages/challenge";
import { type Message, verifyMessage } from "./messages/message";
import { signMessage } from "./messages/sign";
import { keyFromLabel, testDevice, testReplica } from "./testing";

const NET = 3n;
const device = testDevice("checking-device", NET);
const framer = keyFromLabel("any-key");
const salt = new Uint8Array(32).fill(5);
const nonce = new Uint8Array(32).fill(6);

function challenge(params: ChallengeParams, over: { epoch?: bigint; deadlineMs?: bigint } = {}) {
  const bytes = signMessage(
    "challenge",
    { networkId: NET, epoch: over.epoch ?? 4n },
    {
      deviceId: device.signer.publicKey,
      beacon: new Uint8Array(32),
      nonce,
      saltHash: keccak256(salt),
      issuedAtMs: 1_000n,
      deadlineMs: over.deadlineMs ?? 11_000n,
      params,
    },
    framer,
  );
  const m = verifyMessage(bytes, { kind: "challenge", networkId: NET }, nodeVerify);
  if (!m.ok) throw m.error;
  return m.value;
}

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof AttestationError) return e.code;
    throw e;
  }
  return "signed";
};

describe("the device checks before it signs", () => {
  it("refuses a salt other than the one saltHash commits to (compute)", () => {
    const work = startCompute(device.signer, challenge({ type: "compute", n: 64, samples: 44 }));
    const other = salt.slice();
    other[0]! ^= 1;
    expect(refusal(() => finishCompute(device.signer, work, other))).toBe("MISMATCH");
    expect(refusal(() => finishCompute(device.signer, work, salt.subarray(0, 31)))).toBe("MISMATCH");
    expect(refusal(() => finishCompute(device.signer, work, salt))).toBe("signed");
  });

  it("refuses a payload that is not the one the challenge committed to (bandwidth)", () => {
    const payload = bandwidthPayload(nonce, salt, 4_096);
    const c = challenge({ type: "bandwidth", bytes: 4_096, payloadHash: payloadHash(payload) });
    const flipped = payload.slice();
    flipped[17]! ^= 0x10;
    expect(refusal(() => answerBandwidth(device.signer, c, flipped))).toBe("MISMATCH");
    expect(refusal(() => answerBandwidth(device.signer, c, payload.subarray(1)))).toBe("MISMATCH");
    expect(refusal(() => answerBandwidth(device.signer, c, payload))).toBe("signed");
  });

  it("refuses a storage challenge that names storage it does not hold (other data, another device's replica)", () => {
    const s = device.storage;
    const own = {
      storageRoot: s.root,
      storageChunks: s.chunks.length,
      storageChunkBytes: s.chunks[0]!.length,
    };
    const older = buildStorage(new Uint8Array(32).fill(1), 32, 1_024);
    const anothers = testReplica(keyFromLabel("another-device").publicKey);
    const ask = (target: typeof own) => () =>
      answerStorage(device.signer, challenge({ type: "storage", samples: 8, ...target }), s);
    expect(refusal(ask({ ...own, storageChunks: 32 }))).toBe("MISMATCH");
    expect(refusal(ask({ ...own, storageChunkBytes: 512 }))).toBe("MISMATCH");
    expect(refusal(ask({ ...own, storageRoot: older.root }))).toBe("MISMATCH");
    expect(refusal(ask({ ...own, storageRoot: anothers.root }))).toBe("MISMATCH");
    expect(refusal(ask(own))).toBe("signed");
  });
});

describe("checkChallenge", () => {
  const latency = (over: { epoch?: bigint; deadlineMs?: bigint }) => challenge({ type: "latency" }, over);
  const at: ChallengeExpect = { deviceId: device.signer.publicKey, epoch: 4n, nowMs: 5_000n };
  const check = (c: Message<"challenge">, a = at) => refusal(() => checkChallenge(c, a));

  it("accepts the node's epoch and its neighbours (a boundary in flight), refuses any other", () => {
    for (const epoch of [3n, 4n, 5n]) expect(check(latency({ epoch }))).toBe("signed");
    for (const epoch of [0n, 2n, 6n, 2n ** 64n - 1n]) expect(check(latency({ epoch }))).toBe("WRONG_EPOCH");
  });

  it("refuses a deadline already passed on the node's clock, or absurdly far ahead", () => {
    expect(check(latency({ deadlineMs: 4_999n }))).toBe("DEADLINE");
    expect(check(latency({ deadlineMs: 5_000n }))).toBe("signed");
    expect(check(latency({ deadlineMs: 5_000n + BigInt(MAX_DEADLINE_AHEAD_MS) }))).toBe("signed");
    expect(check(latency({ deadlineMs: 5_001n + BigInt(MAX_DEADLINE_AHEAD_MS) }))).toBe("DEADLINE");
    expect(check(latency({ deadlineMs: 7_000n }), { ...at, maxDeadlineAheadMs: 1_000 })).toBe("DEADLINE");
  });

  it("refuses a challenge for another device", () => {
    expect(check(latency({}), { ...at, deviceId: keyFromLabel("someone").publicKey })).toBe("WRONG_DEVICE");
  });
});

describe("checkChallenger", () => {
  const beacon = new Uint8Array(32).fill(9);
  // Five registered oracles; the device's assignment under `beacon` picks two of them.
  const oracles = ["o-1", "o-2", "o-3", "o-4", "o-5"].map((label) => {
    const key = keyFromLabel(label);
    return { signer: keccak256(key.publicKey).subarray(12), challengerKey: key.publicKey, key };
  });
  const assigned = assignedOracles(beacon, device.signer.publicKey, oracles, 2);
  const unassigned = oracles.filter((o) => !assigned.includes(o));
  const judges = { beacon, challengers: assigned.map((o) => o.challengerKey) };
  const signedBy = (key: ReturnType<typeof keyFromLabel>, seededFrom = beacon) => {
    const bytes = signMessage(
      "challenge",
      { networkId: NET, epoch: 4n },
      {
        deviceId: device.signer.publicKey,
        beacon: seededFrom,
        nonce,
        saltHash: keccak256(salt),
        issuedAtMs: 1_000n,
        deadlineMs: 11_000n,
        params: { type: "latency" },
      },
      key,
    );
    const m = verifyMessage(bytes, { kind: "challenge", networkId: NET }, nodeVerify);
    if (!m.ok) throw m.error;
    return m.value;
  };
  const check = (c: Message<"challenge">, j = judges) => refusal(() => checkChallenger(c, j));

  it("accepts an oracle assigned to the device in the epoch, seeded from the epoch's beacon", () => {
    expect(assigned).toHaveLength(2);
    for (const o of assigned) expect(check(signedBy(o.key))).toBe("signed");
  });

  it("refuses a registered oracle watching other devices, and any stranger", () => {
    expect(unassigned).toHaveLength(3);
    for (const o of unassigned) expect(check(signedBy(o.key))).toBe("NOT_ASSIGNED");
    expect(check(signedBy(framer))).toBe("NOT_ASSIGNED");
    expect(check(signedBy(assigned[0]!.key), { beacon, challengers: [] })).toBe("NOT_ASSIGNED");
  });

  it("refuses an assigned oracle's challenge seeded from another beacon than the epoch's", () => {
    expect(check(signedBy(assigned[0]!.key, new Uint8Array(32)))).toBe("NOT_ASSIGNED");
  });
});
