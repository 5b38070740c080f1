// The framing invariant (docs/attestation.md, "Framing"): whatever a hostile challenger, the
// transport or a third party sends, nothing an honest device signs ever verifies as fraud. These
// properties drive the real device code (attestation/device.ts, and the agent through an in-memory
// hostile gateway) with arbitrary mutations, then let the hostile side build every evidence bundle
// it can from what the device signed, and check that neither verifier proves fraud.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createChallengerGateway } from "./agent/challengerGateway";
import { startDeviceAgent } from "./agent/deviceAgent";
import type { DeviceGateway } from "./agent/gateway";
import { verifyPayloadRequest } from "./agent/payloadRequest";
import { equalBytes } from "./bytes";
import { bandwidthPayload, payloadHash } from "./challenges/bandwidth";
import type { IssueParams } from "./challenges/challenger";
import { judgeExchange } from "./challenges/judge";
import { buildStorage, type StorageSet } from "./challenges/storage";
import type { Signer } from "./crypto/ed25519";
import { nodeVerify } from "./crypto/node";
import { answerBandwidth, answerLatency, answerStorage, finishCompute, startCompute } from "./device";
import { AttestationError } from "./errors";
import { rewritingProxy } from "./fleet/hostileTransport";
import { challengeIdOf, keccak256 } from "./hash";
import { verifyEvidenceFast } from "./index";
import type { ChallengeParams } from "./messages/challenge";
import { FraudReason, type FraudReasonName } from "./messages/evidence";
import { noTicket } from "./messages/heartbeat";
import { type Message, verifyMessage } from "./messages/message";
import { signMessage } from "./messages/sign";
import { verifyEvidencePortable } from "./portable";
import { writeReplicaFile } from "./storage/replicaFile";
import {
  keyFromLabel,
  TEST_CLIENT_SECRET,
  testCapabilities,
  testChallenger,
  testDevice,
  testReplica,
} from "./testing";
import type { Verdict } from "./verdict";

const NET = 5n;
const REASONS = Object.keys(FraudReason) as FraudReasonName[];
const NATURAL: Record<ChallengeParams["type"], FraudReasonName> = {
  compute: "computeBadOpening",
  storage: "storageMissing",
  bandwidth: "bandwidthWrongHash",
  latency: "latencyWrongNonce",
};
const framers = [keyFromLabel("framer-0"), keyFromLabel("framer-1")];
const victim = testDevice("framing-victim", NET);

const replicaDir = mkdtempSync(join(tmpdir(), "vigil-framing-"));
afterAll(() => rmSync(replicaDir, { recursive: true, force: true }));
/** A device's replica as the test's storage client writes it to the device's disk. */
function replicaOnDisk(deviceId: Uint8Array, chunks: number, chunkBytes: number) {
  const file = join(replicaDir, `${Buffer.from(deviceId).toString("hex")}-${chunks}-${chunkBytes}`);
  const target = writeReplicaFile(file, TEST_CLIENT_SECRET, deviceId, chunks, chunkBytes);
  return { target, storage: { file, chunks, chunkBytes } };
}

// --- arbitrary mutations -------------------------------------------------------------------------

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
type Flip = { at: number; bit: number };
const flipArb = fc.record({ at: fc.nat(), bit: fc.nat({ max: 7 }) });
const flipped = (b: Uint8Array, f: Flip): Uint8Array => {
  const c = b.slice();
  c[f.at % c.length]! ^= 1 << f.bit;
  return c;
};

/** What a hostile party may reveal instead of the committed salt. */
type SaltMutation = { kind: "same" } | { kind: "flip"; f: Flip } | { kind: "other"; b: Uint8Array };
const saltMutation: fc.Arbitrary<SaltMutation> = fc.oneof(
  fc.constant({ kind: "same" as const }),
  flipArb.map((f) => ({ kind: "flip" as const, f })),
  bytes32.map((b) => ({ kind: "other" as const, b })),
);
const applySalt = (salt: Uint8Array, m: SaltMutation) =>
  m.kind === "same" ? salt : m.kind === "flip" ? flipped(salt, m.f) : m.b;

/** What reaches the device instead of the payload. */
type PayloadMutation =
  | { kind: "same" }
  | { kind: "flip"; f: Flip }
  | { kind: "truncate"; cut: number }
  | { kind: "extend"; extra: Uint8Array }
  | { kind: "other"; b: Uint8Array };
// A flip keeps the length, so it is the corruption that gets past the length check: weighted up.
const payloadMutation: fc.Arbitrary<PayloadMutation> = fc.oneof(
  fc.constant({ kind: "same" as const }),
  { weight: 3, arbitrary: flipArb.map((f) => ({ kind: "flip" as const, f })) },
  fc.nat().map((cut) => ({ kind: "truncate" as const, cut })),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => ({ kind: "extend" as const, extra })),
  fc.uint8Array({ maxLength: 64 }).map((b) => ({ kind: "other" as const, b })),
);
function applyPayload(p: Uint8Array, m: PayloadMutation): Uint8Array {
  if (m.kind === "same") return p;
  if (m.kind === "flip") return flipped(p, m.f);
  if (m.kind === "truncate") return p.subarray(0, m.cut % p.length);
  if (m.kind === "extend") return new Uint8Array([...p, ...m.extra]);
  return m.b;
}

/** The storage a challenge names instead of the device's own. */
type StorageMutation =
  | { kind: "own" }
  | { kind: "root"; f: Flip }
  | { kind: "chunks"; chunks: number }
  | { kind: "chunkBytes"; chunkBytes: number };
const storageMutation: fc.Arbitrary<StorageMutation> = fc.oneof(
  fc.constant({ kind: "own" as const }),
  flipArb.map((f) => ({ kind: "root" as const, f })),
  fc.integer({ min: 1, max: 200 }).map((chunks) => ({ kind: "chunks" as const, chunks })),
  fc.integer({ min: 1, max: 16 * 1024 }).map((chunkBytes) => ({ kind: "chunkBytes" as const, chunkBytes })),
);
const ownTarget = (s: StorageSet) => ({
  storageRoot: s.root,
  storageChunks: s.chunks.length,
  storageChunkBytes: s.chunks[0]!.length,
});
function applyStorage(s: StorageSet, m: StorageMutation) {
  const own = ownTarget(s);
  if (m.kind === "own") return own;
  if (m.kind === "root") return { ...own, storageRoot: flipped(s.root, m.f) };
  if (m.kind === "chunks") return { ...own, storageChunks: m.chunks };
  return { ...own, storageChunkBytes: m.chunkBytes };
}

/** One hostile challenge to the device, and what the hostile side sends it afterwards. */
const hostileChallenge = fc.record({
  framer: fc.nat({ max: framers.length - 1 }),
  networkId: fc.constantFrom(NET, NET + 1n),
  epoch: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  issuedAtMs: fc.bigInt({ min: 0n, max: 2n ** 63n }),
  ttlMs: fc.bigInt({ min: 1n, max: 2n ** 62n }),
  beacon: bytes32,
  nonce: bytes32,
  salt: bytes32,
  /** false: `saltHash` commits to nothing the challenger knows an opening of. */
  honestSaltHash: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
  otherSaltHash: bytes32,
  revealed: saltMutation,
  type: fc.constantFrom("compute", "storage", "bandwidth", "latency"),
  n: fc.constantFrom(64, 64, 64, 128),
  samples: fc.integer({ min: 1, max: 176 }),
  storageSamples: fc.integer({ min: 1, max: 16 }),
  storage: storageMutation,
  bytes: fc.integer({ min: 1, max: 3_000 }),
  served: payloadMutation,
  /** The payload commitment: of the salt's payload, of what is served, or anything. */
  commitment: fc.oneof(
    fc.constant({ kind: "true" as const }),
    { weight: 2, arbitrary: fc.constant({ kind: "served" as const }) },
    bytes32.map((b) => ({ kind: "other" as const, b })),
  ),
});
type HostileChallenge = typeof hostileChallenge extends fc.Arbitrary<infer T> ? T : never;

/** A bundle the hostile side assembles: device-signed messages in any slot, any salt, any reason. */
const bundlePick = fc.record({
  commitSlot: fc.nat({ max: 3 }),
  responseSlot: fc.nat({ max: 2 }),
  saltSlot: fc.nat({ max: 2 }),
  reason: fc.constantFrom(...REASONS),
});
type BundlePick = typeof bundlePick extends fc.Arbitrary<infer T> ? T : never;

// --- the hostile side ------------------------------------------------------------------------------

function decode<K extends "challenge" | "commit" | "response">(bytes: Uint8Array, kind: K): Message<K> {
  const m = verifyMessage(bytes, { kind, networkId: decodeNetwork(bytes) }, nodeVerify);
  if (!m.ok) throw m.error;
  return m.value;
}
/** networkId sits at bytes 6..14 of every envelope. */
const decodeNetwork = (bytes: Uint8Array) =>
  new DataView(bytes.buffer, bytes.byteOffset + 6, 8).getBigUint64(0);

function signHostile(h: HostileChallenge, deviceId: Uint8Array, storage: StorageSet) {
  const truePayload = bandwidthPayload(h.nonce, h.salt, h.bytes);
  const served = applyPayload(truePayload, h.served);
  let params: ChallengeParams;
  if (h.type === "compute") params = { type: "compute", n: h.n, samples: Math.min(h.n, h.samples) };
  else if (h.type === "storage")
    params = { type: "storage", samples: h.storageSamples, ...applyStorage(storage, h.storage) };
  else if (h.type === "bandwidth") {
    const c = h.commitment;
    const commitment =
      c.kind === "true" ? payloadHash(truePayload) : c.kind === "served" ? payloadHash(served) : c.b;
    params = { type: "bandwidth", bytes: h.bytes, payloadHash: commitment };
  } else params = { type: "latency" };
  const bytes = signMessage(
    "challenge",
    { networkId: h.networkId, epoch: h.epoch },
    {
      deviceId,
      beacon: h.beacon,
      nonce: h.nonce,
      saltHash: h.honestSaltHash ? keccak256(h.salt) : h.otherSaltHash,
      issuedAtMs: h.issuedAtMs,
      deadlineMs: h.issuedAtMs + h.ttlMs,
      params,
    },
    framers[h.framer]!,
  );
  return { challenge: decode(bytes, "challenge"), served, revealed: applySalt(h.salt, h.revealed) };
}

/**
 * Everything a framer can build from what the device signed for `challenge`: it asserts that no
 * salt makes the judge call the exchange fraud, and that no bundle (any device-signed message in
 * the commit and response slots, any salt, any reason) verifies, fast or portable.
 */
function assertUnframeable(
  challenge: Message<"challenge">,
  framer: Signer,
  signed: { commit: Uint8Array | null; response: Uint8Array | null; others: Uint8Array[] },
  salts: Uint8Array[],
  picks: BundlePick[],
) {
  const commit = signed.commit ? decode(signed.commit, "commit") : null;
  if (signed.response) {
    const response = decode(signed.response, "response");
    for (const salt of salts)
      for (const c of [commit, null]) {
        const j = judgeExchange({ challenge, salt, commit: c, response });
        expect(j.ok && j.value.outcome).not.toBe("fraud");
      }
  }
  const pool = [signed.commit, signed.response, ...signed.others].filter((b): b is Uint8Array => b !== null);
  const natural: BundlePick = {
    commitSlot: 0,
    responseSlot: 1,
    saltSlot: 0,
    reason: NATURAL[challenge.body.params.type],
  };
  for (const [i, pick] of [natural, ...picks].entries()) {
    const response = pick === natural ? signed.response : pool[pick.responseSlot % pool.length]!;
    if (!response) continue;
    const commits = [null, ...pool];
    const commitSlot = pick === natural ? signed.commit : (commits[pick.commitSlot % commits.length] ?? null);
    const evidence = signMessage(
      "evidence",
      { networkId: challenge.networkId, epoch: challenge.epoch },
      {
        challenge: challenge.bytes,
        commit: commitSlot,
        salt: salts[pick.saltSlot % salts.length]!,
        response,
        commitReceivedAtMs: 1n,
        responseReceivedAtMs: 2n,
        reason: pick.reason,
      },
      framer,
    );
    const fast = verifyEvidenceFast(evidence, { networkId: challenge.networkId, judges: "unchecked" });
    expect(fast.ok, `bundle ${i} (${pick.reason}) verified as fraud`).toBe(false);
    // The portable path on the natural bundle of every run (it is ~20x slower than node:crypto).
    if (i === 0) {
      const portable = verifyEvidencePortable(evidence, {
        networkId: challenge.networkId,
        judges: "unchecked",
      });
      expect(portable.ok).toBe(false);
      expect(!portable.ok && portable.error.code).toBe(!fast.ok && fast.error.code);
    }
  }
}

/** Runs the real device code on a challenge; an `AttestationError` is a refusal (nothing signed). */
function runDevice(
  signer: Signer,
  storage: StorageSet,
  challenge: Message<"challenge">,
  revealed: Uint8Array,
  served: Uint8Array,
): { commit: Uint8Array | null; response: Uint8Array | null; refused: AttestationError | null } {
  let commit: Uint8Array | null = null;
  try {
    const p = challenge.body.params;
    let response: Uint8Array;
    if (p.type === "compute") {
      const work = startCompute(signer, challenge);
      commit = work.commit;
      response = finishCompute(signer, work, revealed);
    } else if (p.type === "storage") response = answerStorage(signer, challenge, storage);
    else if (p.type === "bandwidth") response = answerBandwidth(signer, challenge, served);
    else response = answerLatency(signer, challenge);
    return { commit, response, refused: null };
  } catch (e) {
    if (!(e instanceof AttestationError)) throw e;
    return { commit, response: null, refused: e };
  }
}

/** Whether an honest device must refuse this challenge: its input does not match what was signed. */
function mustRefuse(
  challenge: Message<"challenge">,
  revealed: Uint8Array,
  served: Uint8Array,
  s: StorageSet,
) {
  const p = challenge.body.params;
  if (p.type === "compute") return !equalBytes(keccak256(revealed), challenge.body.saltHash);
  if (p.type === "storage") {
    const own = ownTarget(s);
    return (
      p.storageChunks !== own.storageChunks ||
      p.storageChunkBytes !== own.storageChunkBytes ||
      !equalBytes(p.storageRoot, own.storageRoot)
    );
  }
  if (p.type === "bandwidth")
    return served.length !== p.bytes || !equalBytes(payloadHash(served), p.payloadHash);
  return false;
}

// --- properties --------------------------------------------------------------------------------------

describe("framing invariant: nothing an honest device signs verifies as fraud", () => {
  it("property: the device functions, under any hostile challenge, salt, payload and storage claim", () => {
    fc.assert(
      fc.property(hostileChallenge, fc.array(bundlePick, { maxLength: 4 }), bytes32, (h, picks, junkSalt) => {
        const { challenge, served, revealed } = signHostile(h, victim.signer.publicKey, victim.storage);
        const out = runDevice(victim.signer, victim.storage, challenge, revealed, served);
        // It refuses exactly the inputs that do not match what the challenger signed, and says why.
        expect(out.refused !== null).toBe(mustRefuse(challenge, revealed, served, victim.storage));
        if (out.refused) expect(out.refused.code).toBe("MISMATCH");
        // An honest challenger (it reveals the salt it committed to, serves the payload it committed
        // to) gets a passing answer.
        if (out.response && h.honestSaltHash) {
          const j = judgeExchange({
            challenge,
            salt: h.salt,
            commit: out.commit ? decode(out.commit, "commit") : null,
            response: decode(out.response, "response"),
          });
          const committedTrue = h.type !== "bandwidth" || h.commitment.kind === "true";
          if (committedTrue) expect(j.ok && j.value.outcome).toBe("pass");
        }
        assertUnframeable(
          challenge,
          framers[h.framer]!,
          { ...out, others: [victim.registration.bytes] },
          [h.salt, revealed, junkSalt],
          picks,
        );
      }),
      { numRuns: 120 },
    );
  });

  it("property: an honest node never records fraud against an honest device, whatever the path rewrites", () => {
    // The client replaced the device's data on chain; a node may still hold the old target (its
    // chain read not refreshed yet).
    const oldStorage = buildStorage(new Uint8Array(32).fill(3), 20, 128);
    const targets = [ownTarget(victim.storage), ownTarget(oldStorage)];
    fc.assert(
      fc.property(
        fc.constantFrom("compute", "storage", "bandwidth", "latency"),
        saltMutation,
        payloadMutation,
        fc.nat({ max: 1 }),
        fc.array(bundlePick, { maxLength: 3 }),
        (type, saltPath, payloadPath, regIndex, picks) => {
          // The node's first draw for a challenge is its salt.
          const draws: Uint8Array[] = [];
          const node = testChallenger("honest-node", NET, (n) => {
            const b = globalThis.crypto.getRandomValues(new Uint8Array(n));
            draws.push(b);
            return b;
          });
          const params: IssueParams =
            type === "compute"
              ? { type, n: 64, samples: 44 }
              : type === "storage"
                ? { type, samples: 8 }
                : type === "bandwidth"
                  ? { type, bytes: 2_048 }
                  : { type };
          const issued = node.issue({
            deviceId: victim.signer.publicKey,
            epoch: 1n,
            beacon: new Uint8Array(32),
            params,
            nowMs: 0n,
            ttlMs: 1_000,
            storage: targets[regIndex],
          });
          const salt = draws[0]!;
          const challenge = decode(issued.bytes, "challenge");
          node.delivered(issued.challengeId, 1n);
          let commit: Uint8Array | null = null;
          let response: Uint8Array | null = null;
          try {
            if (type === "compute") {
              const work = startCompute(victim.signer, challenge);
              commit = work.commit;
              const opened = node.onCommit(commit, 2n);
              if (!opened.ok) throw opened.error;
              response = finishCompute(victim.signer, work, applySalt(opened.value.salt, saltPath));
            } else if (type === "storage") response = answerStorage(victim.signer, challenge, victim.storage);
            else if (type === "bandwidth") {
              const payload = node.payload(issued.challengeId, 2n)!;
              response = answerBandwidth(victim.signer, challenge, applyPayload(payload, payloadPath));
            } else response = answerLatency(victim.signer, challenge);
          } catch (e) {
            if (!(e instanceof AttestationError)) throw e;
          }
          const verdict: Verdict = response
            ? node.onResponse(response, 3n)
            : (node.expire(10_000n)[0] ?? {
                status: "rejected",
                error: new AttestationError("MISMATCH", ""),
              });
          // A clean path passes; a rewritten one (or a stale target) costs a missed challenge.
          const clean =
            type === "compute"
              ? saltPath.kind === "same"
              : type === "bandwidth"
                ? payloadPath.kind === "same"
                : type === "storage"
                  ? regIndex === 0
                  : true;
          expect(verdict.status).toBe(clean ? "pass" : "missed");
          assertUnframeable(
            challenge,
            keyFromLabel("honest-node"),
            { commit, response, others: [victim.registration.bytes] },
            [salt, applySalt(salt, saltPath)],
            picks,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("property: re-posted registrations never replace a newer one, and never change what storage is judged", async () => {
    // Storage each registration claims: the device's own word, which no storage challenge follows.
    // The chain's target (what the storage client registered) is the first set, which it holds.
    const sets = [
      buildStorage(new Uint8Array(32).fill(1), 16, 64),
      buildStorage(new Uint8Array(32).fill(2), 17, 64),
      buildStorage(new Uint8Array(32).fill(3), 16, 32),
    ];
    const signer = keyFromLabel("registering-device");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ epochStep: fc.nat({ max: 2 }), set: fc.nat({ max: 2 }) }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (history, reposts) => {
          // The device's own registrations, in the order it signed them (epochs never go back).
          let epoch = 0n;
          const signed = history.map((h) => {
            epoch += BigInt(h.epochStep);
            const set = sets[h.set]!;
            const bytes = signMessage(
              "registration",
              { networkId: NET, epoch },
              { owner: new Uint8Array(20), capabilities: testCapabilities, ...ownTarget(set) },
              signer,
            );
            return { bytes, epoch, set };
          });
          const current = signed[signed.length - 1]!;
          const held = sets[0]!;
          const verdicts: Verdict[] = [];
          const node = createChallengerGateway({
            networkId: NET,
            signer: keyFromLabel("registry-node"),
            epoch: () => current.epoch,
            beacon: () => new Uint8Array(32),
            storageOf: () => ownTarget(held),
            onVerdict: (v) => verdicts.push(v),
          });
          // The device registers each in turn; then anyone re-posts any of them, in any order.
          const posted = [...signed, ...reposts.map((i) => signed[i % signed.length]!)];
          // Each post is accepted exactly when it is not older than the newest one held; an older
          // one is refused as a replay (asserted, not swallowed).
          let newest = -1n;
          for (const r of posted) {
            if (r.epoch < newest) {
              await expect(node.register(r.bytes)).rejects.toMatchObject({ code: "REPLAY" });
            } else {
              await node.register(r.bytes);
              newest = r.epoch;
            }
          }
          const bytes = node.issue(signer.publicKey, "storage");
          node.close();
          if (!bytes) throw new Error("a registered device with a storage target gets storage challenges");
          const challenge = decode(bytes, "challenge");
          const p = challenge.body.params;
          if (p.type !== "storage") throw new Error("not storage");
          // The chain's target, whatever root the registration the node holds names.
          expect(p).toMatchObject(ownTarget(held));
          const out = runDevice(signer, held, challenge, new Uint8Array(32), new Uint8Array(0));
          if (out.response) await node.respond(out.response);
          else verdicts.push(...node.challenger.expire(2n ** 62n));
          expect(verdicts.map((v) => v.status)).toEqual([out.response ? "pass" : "missed"]);
          assertUnframeable(
            challenge,
            keyFromLabel("registry-node"),
            { ...out, others: [] },
            [new Uint8Array(32)],
            [],
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

// --- the agent, against a hostile gateway ----------------------------------------------------------

type AgentMutation =
  | "none"
  | "salt"
  | "saltHash"
  | "payload"
  | "storage"
  | "epoch"
  | "deadline"
  | "signature"
  | "device";
const agentScenario = fc.record({
  type: fc.constantFrom("compute", "storage", "bandwidth", "latency"),
  mutation: fc.constantFrom<AgentMutation>(
    "none",
    "salt",
    "saltHash",
    "payload",
    "storage",
    "epoch",
    "deadline",
    "signature",
    "device",
  ),
  farDeadline: fc.boolean(),
  epochShift: fc.bigInt({ min: 2n, max: 1_000n }),
  salt: bytes32,
  nonce: bytes32,
  flip: flipArb,
});
type AgentScenario = typeof agentScenario extends fc.Arbitrary<infer T> ? T : never;

/**
 * A gateway that is hostile end to end (a framing challenger, or an on-path attacker that rewrites
 * everything, TLS or not): it signs its own challenges, then reveals other salts, serves corrupted
 * payloads, names foreign storage, other epochs, dead or far deadlines. It keeps what the device signs.
 */
function hostileGateway(scenarios: AgentScenario[], deviceId: Uint8Array, storage: StorageSet) {
  const framer = framers[1]!;
  const epoch = 40n;
  const open = new Map<string, { s: AgentScenario; challenge: Message<"challenge">; payload: Uint8Array }>();
  const signed = { commits: [] as Uint8Array[], responses: [] as Uint8Array[], others: [] as Uint8Array[] };
  let polled = false;
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const touched = (s: AgentScenario, m: AgentMutation) => s.mutation === m;

  function challengeFor(s: AgentScenario): Uint8Array {
    const now = BigInt(Date.now());
    const issuedAtMs = now - 5_000n;
    const payload = bandwidthPayload(s.nonce, s.salt, 1_024);
    // Mutations that do not apply to this type still change something the device checks.
    const own = ownTarget(storage);
    const params: ChallengeParams =
      s.type === "compute"
        ? { type: "compute", n: 64, samples: 44 }
        : s.type === "storage"
          ? {
              type: "storage",
              samples: 4,
              ...own,
              storageRoot: touched(s, "storage") ? flipped(own.storageRoot, s.flip) : own.storageRoot,
            }
          : s.type === "bandwidth"
            ? { type: "bandwidth", bytes: 1_024, payloadHash: payloadHash(payload) }
            : { type: "latency" };
    const deadline = touched(s, "deadline")
      ? s.farDeadline
        ? now + 10_000_000n
        : now - 1_000n
      : now + 30_000n;
    const bytes = signMessage(
      "challenge",
      { networkId: NET, epoch: touched(s, "epoch") ? epoch + s.epochShift : epoch },
      {
        deviceId: touched(s, "device") ? flipped(deviceId, s.flip) : deviceId,
        beacon: new Uint8Array(32),
        nonce: s.nonce,
        saltHash: touched(s, "saltHash") ? flipped(keccak256(s.salt), s.flip) : keccak256(s.salt),
        issuedAtMs,
        deadlineMs: deadline,
        params,
      },
      framer,
    );
    const challenge = decode(bytes, "challenge");
    open.set(hex(challengeIdOf(challenge.signingBytes)), { s, challenge, payload });
    if (touched(s, "signature")) {
      const forged = bytes.slice();
      forged[forged.length - 1 - (s.flip.at % 64)]! ^= 1 << s.flip.bit;
      return forged;
    }
    return bytes;
  }
  // Mutations that cannot apply to a type fall back to one that does, so every mutated scenario is one
  // the device must refuse.
  const normalized = scenarios.map((s): AgentScenario => {
    const applies =
      s.mutation === "none" ||
      ["epoch", "deadline", "signature", "device"].includes(s.mutation) ||
      (s.mutation === "salt" && s.type === "compute") ||
      (s.mutation === "saltHash" && s.type === "compute") ||
      (s.mutation === "payload" && s.type === "bandwidth") ||
      (s.mutation === "storage" && s.type === "storage");
    return applies ? s : { ...s, mutation: "epoch" };
  });

  const gw: DeviceGateway = {
    info: async () => ({ networkId: NET, epoch, nowMs: BigInt(Date.now()) }),
    register: async (b) => {
      signed.others.push(b);
      return { ticket: noTicket() };
    },
    heartbeat: async (b) => {
      signed.others.push(b);
      return { ticket: noTicket() };
    },
    async pollChallenges(_id, waitMs, signal) {
      if (!polled) {
        polled = true;
        return normalized.map(challengeFor);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        signal?.addEventListener(
          "abort",
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
      return [];
    },
    async commit(b) {
      signed.commits.push(b);
      const o = open.get(hex(decode(b, "commit").body.challengeId))!;
      return { salt: o.s.mutation === "salt" ? flipped(o.s.salt, o.s.flip) : o.s.salt };
    },
    async payload(request) {
      const r = verifyPayloadRequest(request, nodeVerify);
      if (!r.ok) throw r.error;
      const o = open.get(hex(r.value.challengeId))!;
      return o.s.mutation === "payload" ? flipped(o.payload, o.s.flip) : o.payload;
    },
    async respond(b) {
      signed.responses.push(b);
    },
  };
  return { gw, open, signed, framer, mutated: normalized.filter((s) => s.mutation !== "none").length };
}

describe("framing invariant: the device agent against a hostile gateway", () => {
  it("property: the agent refuses (and counts) every mutated challenge, answers the rest, and nothing it signed frames it", async () => {
    const signer = keyFromLabel("agent-victim");
    const { storage } = replicaOnDisk(signer.publicKey, 16, 128);
    const held = testReplica(signer.publicKey, 16, 128);
    await fc.assert(
      fc.asyncProperty(fc.array(agentScenario, { minLength: 1, maxLength: 5 }), async (scenarios) => {
        const hostile = hostileGateway(scenarios, signer.publicKey, held);
        const agent = startDeviceAgent({
          signer,
          owner: new Uint8Array(20),
          capabilities: testCapabilities,
          storage,
          gateways: [hostile.gw],
          heartbeatIntervalMs: 60_000,
          pollWaitMs: 50,
        });
        try {
          await vi.waitFor(
            () =>
              expect(agent.stats.challengesAnswered + agent.stats.challengesRefused).toBe(scenarios.length),
            { timeout: 10_000, interval: 10 },
          );
        } finally {
          await agent.stop();
        }
        expect(agent.stats.challengesRefused).toBe(hostile.mutated);
        expect(agent.stats.challengesAnswered).toBe(scenarios.length - hostile.mutated);
        expect(agent.stats.errors).toBe(0);
        for (const o of hostile.open.values()) {
          const id = challengeIdOf(o.challenge.signingBytes);
          const mine = (list: Uint8Array[], kind: "commit" | "response") =>
            list.find((b) => equalBytes(decode(b, kind).body.challengeId, id)) ?? null;
          const commit = mine(hostile.signed.commits, "commit");
          const response = mine(hostile.signed.responses, "response");
          expect(response !== null).toBe(o.s.mutation === "none");
          assertUnframeable(
            o.challenge,
            hostile.framer,
            { commit, response, others: hostile.signed.others },
            [o.s.salt, flipped(o.s.salt, o.s.flip)],
            [],
          );
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe("the attacks from the review, end to end", () => {
  it("a challenger that commits to the corrupted payload it serves gets a receipt that proves nothing", () => {
    const salt = new Uint8Array(32).fill(8);
    const nonce = new Uint8Array(32).fill(9);
    const corrupted = bandwidthPayload(nonce, salt, 4_096);
    corrupted[100]! ^= 1;
    const challenge = decode(
      signMessage(
        "challenge",
        { networkId: NET, epoch: 1n },
        {
          deviceId: victim.signer.publicKey,
          beacon: new Uint8Array(32),
          nonce,
          saltHash: keccak256(salt),
          issuedAtMs: 0n,
          deadlineMs: 1_000n,
          params: { type: "bandwidth", bytes: 4_096, payloadHash: payloadHash(corrupted) },
        },
        framers[0]!,
      ),
      "challenge",
    );
    // The payload matches what the challenger signed, so the device signs its receipt...
    const response = decode(answerBandwidth(victim.signer, challenge, corrupted), "response");
    // ...and the judge blames the challenger's commitment, not the device.
    const j = judgeExchange({ challenge, salt, response });
    expect(j.ok || j.error.code).toBe("MISMATCH");
    assertUnframeable(
      challenge,
      framers[0]!,
      { commit: null, response: response.bytes, others: [] },
      [salt],
      [],
    );
  });

  it("a re-posted older registration never replaces the newer one; one for a future epoch is refused", async () => {
    const signer = keyFromLabel("re-registering-device");
    const before = buildStorage(new Uint8Array(32).fill(1), 32, 256);
    const after = buildStorage(new Uint8Array(32).fill(1), 64, 256);
    const reg = (epoch: bigint, set: StorageSet) =>
      signMessage(
        "registration",
        { networkId: NET, epoch },
        { owner: new Uint8Array(20), capabilities: testCapabilities, ...ownTarget(set) },
        signer,
      );
    const verdicts: Verdict[] = [];
    const node = createChallengerGateway({
      networkId: NET,
      signer: keyFromLabel("registry-node-2"),
      epoch: () => 3n,
      beacon: () => new Uint8Array(32),
      // The chain's target: the client replaced the device's data with `after`.
      storageOf: () => ownTarget(after),
      onVerdict: (v) => verdicts.push(v),
    });
    await node.register(reg(1n, before));
    await node.register(reg(3n, after));
    await expect(node.register(reg(1n, before))).rejects.toMatchObject({ code: "REPLAY" });
    await expect(node.register(reg(5n, before))).rejects.toMatchObject({ code: "WRONG_EPOCH" });
    // An old registration (naming `before`) held or not, storage follows the chain's target.
    const challenge = decode(node.issue(signer.publicKey, "storage")!, "challenge");
    expect(challenge.body.params).toMatchObject({ storageRoot: after.root, storageChunks: 64 });
    await node.respond(answerStorage(signer, challenge, after));
    node.close();
    expect(verdicts.map((v) => v.status)).toEqual(["pass"]);
  });

  it("an on-path proxy that rewrites salts and payloads (no TLS) causes missed challenges, never fraud", async () => {
    const verdicts: Verdict[] = [];
    let later = 0n;
    const device = keyFromLabel("proxied-device");
    const replica = replicaOnDisk(device.publicKey, 16, 128);
    const node = createChallengerGateway({
      networkId: NET,
      signer: keyFromLabel("proxied-node"),
      storageOf: () => replica.target,
      epoch: () => 0n,
      beacon: () => new Uint8Array(32),
      now: () => BigInt(Date.now()) + later,
      schedule: { intervalMs: 50, types: ["compute", "bandwidth", "storage", "latency"] },
      ttlMs: 2_000,
      lateGraceMs: 0,
      onVerdict: (v) => verdicts.push(v),
    });
    const agent = startDeviceAgent({
      signer: device,
      owner: new Uint8Array(20),
      capabilities: testCapabilities,
      storage: replica.storage,
      gateways: [rewritingProxy(node)],
      heartbeatIntervalMs: 40,
      pollWaitMs: 100,
    });
    // Compute and bandwidth come first in the rotation (refused), then storage and latency (passed).
    await vi.waitFor(
      () => {
        expect(agent.stats.challengesRefused).toBeGreaterThanOrEqual(2);
        expect(verdicts.filter((v) => v.status === "pass").length).toBeGreaterThanOrEqual(2);
      },
      {
        timeout: 10_000,
        interval: 20,
      },
    );
    await agent.stop();
    later = 60_000n; // every challenge still open is now past its deadline
    node.tick();
    node.close();
    expect(verdicts.filter((v) => v.status === "fraud")).toEqual([]);
    for (const v of verdicts)
      if (v.status !== "rejected" && (v.type === "compute" || v.type === "bandwidth"))
        expect(v.status).toBe("missed");
    expect(verdicts.some((v) => v.status === "pass")).toBe(true);
  });
});
