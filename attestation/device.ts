import { payloadHash } from "./challenges/bandwidth";
import {
  type ComputeResult,
  computeSampleIndices,
  computeSeed,
  openRows,
  proveCompute,
  rowLeaf,
} from "./challenges/compute";
import { openChunks, type StorageSet, storageSampleIndices } from "./challenges/storage";
import { COMPUTE_MODULUS } from "./constants";
import type { Signer } from "./crypto/ed25519";
import { challengeIdOf } from "./hash";
import { merkleLevels, merkleRoot } from "./merkle";
import type { Message } from "./messages/message";
import { signMessage } from "./messages/sign";

/**
 * The device's side of each challenge, with no I/O (the agent in `agent/` moves the bytes).
 * `DeviceBehaviour` hooks exist so the fleet simulator's cheating devices run this same code.
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

/** After the challenger revealed its salt: open the sampled rows. */
export function finishCompute(signer: Signer, work: ComputeWork, salt: Uint8Array): Uint8Array {
  const p = work.challenge.body.params;
  if (p.type !== "compute") throw new TypeError("not a compute challenge");
  const indices = computeSampleIndices(work.result.root, salt, p.n, p.samples);
  return signMessage(
    "response",
    ctxOf(work.challenge),
    { challengeId: work.challengeId, type: "compute", rows: openRows(work.result, indices) },
    signer,
  );
}

export function answerStorage(
  signer: Signer,
  challenge: Message<"challenge">,
  storage: StorageSet,
  b: DeviceBehaviour = {},
): Uint8Array {
  const p = challenge.body.params;
  if (p.type !== "storage") throw new TypeError("not a storage challenge");
  const challengeId = challengeIdOf(challenge.signingBytes);
  const indices = storageSampleIndices(challengeId, storage.chunks.length, p.samples);
  return signMessage(
    "response",
    ctxOf(challenge),
    { challengeId, type: "storage", chunks: openChunks(storage, indices, b.lostChunk) },
    signer,
  );
}

export function answerBandwidth(
  signer: Signer,
  challenge: Message<"challenge">,
  payload: Uint8Array,
): Uint8Array {
  const challengeId = challengeIdOf(challenge.signingBytes);
  return signMessage(
    "response",
    ctxOf(challenge),
    { challengeId, type: "bandwidth", payloadHash: payloadHash(payload) },
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
