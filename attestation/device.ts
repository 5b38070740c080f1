import { equalBytes } from "./bytes";
import { bandwidthReceipt, payloadHash } from "./challenges/bandwidth";
import {
  type ComputeResult,
  computeSampleIndices,
  computeSeed,
  openRows,
  proveCompute,
  rowLeaf,
} from "./challenges/compute";
import { openChunks, type StorageSet, type StorageTarget, storageSampleIndices } from "./challenges/storage";
import { COMPUTE_MODULUS } from "./constants";
import type { Signer } from "./crypto/ed25519";
import { AttestationError } from "./errors";
import type { EvidenceJudges } from "./evidence";
import { challengeIdOf, keccak256 } from "./hash";
import { merkleLevels, merkleRoot } from "./merkle";
import type { Message } from "./messages/message";
import { signMessage } from "./messages/sign";

/**
 * The device's side of each challenge, with no I/O (the agent in `agent/` moves the bytes).
 * `DeviceBehaviour` hooks exist so the fleet simulator's cheating devices run this same code.
 *
 * Every function here checks its input against what the challenger signed before it signs
 * anything, and throws an `AttestationError` (signing nothing) when a check fails: the salt must
 * open `saltHash`, the payload must match the signed `payloadHash`, the storage the challenge
 * names must be the device's own. That is what makes the framing invariant hold (docs/attestation.md,
 * "Framing"): nothing an honest device signs verifies as fraud, whoever sent it what.
 */
export interface DeviceBehaviour {
  /** Rows left uncomputed (partial compute). */
  skipRow?: (row: number) => boolean;
  /** Compute every row but add 1 to its first entry (a wrong result, e.g. broken hardware or a fake kernel). */
  wrongResult?: boolean;
  /** Storage chunks the device has lost. */
  lostChunk?: (index: number) => boolean;
}

const ctxOf = (c: Message<"challenge">) => ({ networkId: c.networkId, epoch: c.epoch });

export interface ComputeWork {
  challenge: Message<"challenge">;
  challengeId: Uint8Array;
  result: ComputeResult;
  /** Signed commitment to send to the challenger; it answers with the salt. */
  commit: Uint8Array;
}

export function startCompute(
  signer: Signer,
  challenge: Message<"challenge">,
  b: DeviceBehaviour = {},
): ComputeWork {
  const p = challenge.body.params;
  if (p.type !== "compute") throw new TypeError("not a compute challenge");
  const challengeId = challengeIdOf(challenge.signingBytes);
  let result = proveCompute(computeSeed(challengeId), p.n, b.skipRow);
  if (b.wrongResult) {
    const rows = result.rows.map((r) => {
      const w = r.slice();
      w[0] = (w[0]! + 1) % COMPUTE_MODULUS;
      return w;
    });
    result = proveComputeFromRows(rows);
  }
  const commit = signMessage("commit", ctxOf(challenge), { challengeId, resultRoot: result.root }, signer);
  return { challenge, challengeId, result, commit };
}

function proveComputeFromRows(rows: Uint16Array[]): ComputeResult {
  const levels = merkleLevels(rows.map((r, i) => rowLeaf(i, r)));
  return { rows, levels, root: merkleRoot(levels) };
}

/**
 * After the challenger revealed its salt: open the sampled rows. Throws `AttestationError`
 * MISMATCH, signing nothing, when the salt does not open the challenge's `saltHash`: the rows
 * another salt picks are not the ones the challenge's own salt asks for, so opening them would
 * sign a bad opening.
 */
export function finishCompute(signer: Signer, work: ComputeWork, salt: Uint8Array): Uint8Array {
  const p = work.challenge.body.params;
  if (p.type !== "compute") throw new TypeError("not a compute challenge");
  if (salt.length !== 32 || !equalBytes(keccak256(salt), work.challenge.body.saltHash))
    throw new AttestationError("MISMATCH", "salt does not open challenge.saltHash");
  const indices = computeSampleIndices(work.result.root, salt, p.n, p.samples);
  return signMessage(
    "response",
    ctxOf(work.challenge),
    { challengeId: work.challengeId, type: "compute", rows: openRows(work.result, indices) },
    signer,
  );
}

/**
 * Throws `AttestationError` MISMATCH when the storage a storage challenge is judged against (root,
 * chunk count, chunk size: the chain's target for the device) is not the storage the device holds:
 * a target registered for other data, or another device's replica. Checked before anything is read.
 */
export function checkStorageTarget(challenge: Message<"challenge">, held: StorageTarget): void {
  const p = challenge.body.params;
  if (p.type !== "storage") throw new TypeError("not a storage challenge");
  if (
    p.storageChunks !== held.storageChunks ||
    p.storageChunkBytes !== held.storageChunkBytes ||
    !equalBytes(p.storageRoot, held.storageRoot)
  )
    throw new AttestationError("MISMATCH", "challenge names storage the device does not hold");
}

/**
 * Opens the sampled chunks. Throws `AttestationError` MISMATCH, signing nothing, when the storage
 * the challenge is judged against (root, chunk count, chunk size) is not what the device holds
 * (`checkStorageTarget`). `storage` may hold only the sampled chunks (read from disk for this
 * challenge); a sampled chunk it lacks is one the device has lost unless `b.lostChunk` says so.
 */
export function answerStorage(
  signer: Signer,
  challenge: Message<"challenge">,
  storage: StorageSet,
  b: DeviceBehaviour = {},
): Uint8Array {
  const p = challenge.body.params;
  if (p.type !== "storage") throw new TypeError("not a storage challenge");
  const count = storage.levels[0]!.length;
  checkStorageTarget(challenge, {
    storageRoot: storage.root,
    storageChunks: count,
    storageChunkBytes: storage.chunkBytes,
  });
  const challengeId = challengeIdOf(challenge.signingBytes);
  const indices = storageSampleIndices(challengeId, count, p.samples);
  return signMessage(
    "response",
    ctxOf(challenge),
    { challengeId, type: "storage", chunks: openChunks(storage, indices, b.lostChunk) },
    signer,
  );
}

/**
 * Signs the receipt of a downloaded payload. Throws `AttestationError` MISMATCH, signing nothing,
 * when the payload is not the one the challenge committed to (`payloadHash`): corrupted on the way
 * or served wrong, it is refused, so no receipt of a wrong payload ever carries the device's key.
 */
export function answerBandwidth(
  signer: Signer,
  challenge: Message<"challenge">,
  payload: Uint8Array,
): Uint8Array {
  const p = challenge.body.params;
  if (p.type !== "bandwidth") throw new TypeError("not a bandwidth challenge");
  if (payload.length !== p.bytes || !equalBytes(payloadHash(payload), p.payloadHash))
    throw new AttestationError("MISMATCH", "payload does not match challenge.payloadHash");
  const challengeId = challengeIdOf(challenge.signingBytes);
  return signMessage(
    "response",
    ctxOf(challenge),
    { challengeId, type: "bandwidth", receipt: bandwidthReceipt(challengeId, payload) },
    signer,
  );
}

export function answerLatency(signer: Signer, challenge: Message<"challenge">): Uint8Array {
  const challengeId = challengeIdOf(challenge.signingBytes);
  return signMessage(
    "response",
    ctxOf(challenge),
    { challengeId, type: "latency", nonce: challenge.body.nonce },
    signer,
  );
}

/**
 * Latest deadline a device accepts, ms ahead of the node's clock. 120 s: many times the longest
 * deadline a node issues (production 2 s for every class, the devnet's policy 7.5 s), so
 * no real challenge is refused, while a challenge that would keep the device's answer valid for
 * minutes is.
 */
export const MAX_DEADLINE_AHEAD_MS = 120_000;

/** What the device holds independently of a challenge, to check it against. */
export interface ChallengeExpect {
  deviceId: Uint8Array;
  /** The epoch its node reports; a challenge may be one epoch either side (a boundary in flight). */
  epoch: bigint;
  /** The node's clock now, unix ms (the device's clock corrected by the skew `info()` showed). */
  nowMs: bigint;
  /** Default `MAX_DEADLINE_AHEAD_MS`. */
  maxDeadlineAheadMs?: number;
}

/**
 * Refuses a verified challenge the device should not answer, throwing `AttestationError`:
 * WRONG_DEVICE (for another device), WRONG_EPOCH (more than one epoch from the node's), DEADLINE
 * (deadline passed, or absurdly far ahead). These bound what a device signs and spends work on;
 * the framing invariant does not rest on them (an honest answer passes in any epoch).
 */
export function checkChallenge(challenge: Message<"challenge">, at: ChallengeExpect): void {
  const c = challenge.body;
  if (!equalBytes(c.deviceId, at.deviceId)) throw new AttestationError("WRONG_DEVICE", "challenge.deviceId");
  const drift = challenge.epoch > at.epoch ? challenge.epoch - at.epoch : at.epoch - challenge.epoch;
  if (drift > 1n)
    throw new AttestationError("WRONG_EPOCH", `challenge epoch ${challenge.epoch}, node epoch ${at.epoch}`);
  if (c.deadlineMs < at.nowMs)
    throw new AttestationError("DEADLINE", `challenge deadline passed ${at.nowMs - c.deadlineMs} ms ago`);
  if (c.deadlineMs - at.nowMs > BigInt(at.maxDeadlineAheadMs ?? MAX_DEADLINE_AHEAD_MS))
    throw new AttestationError("DEADLINE", `challenge deadline ${c.deadlineMs - at.nowMs} ms ahead`);
}

/**
 * Refuses a verified challenge from a challenger the chain did not assign to the device, throwing
 * `AttestationError` NOT_ASSIGNED: its signer is not among `judges.challengers` (the Ed25519 keys of
 * the oracles assigned to the device in the challenge's epoch), or it was seeded from another
 * beacon than the epoch's pinned one. `judges` comes from the device's own view of the chain
 * (`agent/chainAssignment.ts`), never from the challenge. This stops strangers and unassigned
 * oracles from spending the device's work; the framing invariant does not rest on it.
 */
export function checkChallenger(challenge: Message<"challenge">, judges: EvidenceJudges): void {
  if (!equalBytes(challenge.body.beacon, judges.beacon))
    throw new AttestationError("NOT_ASSIGNED", `challenge beacon is not epoch ${challenge.epoch}'s`);
  if (!judges.challengers.some((k) => equalBytes(k, challenge.signer)))
    throw new AttestationError(
      "NOT_ASSIGNED",
      `challenger not assigned to the device in epoch ${challenge.epoch}`,
    );
}
