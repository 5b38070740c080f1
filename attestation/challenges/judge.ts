import { equalBytes } from "../bytes";
import { fail, ok, type Result } from "../errors";
import { challengeIdOf, keccak256 } from "../hash";
import type { FraudReasonName } from "../messages/evidence";
import type { Message } from "../messages/message";
import { bandwidthPayload, bandwidthReceipt, payloadHash } from "./bandwidth";
import { computeSeed, judgeCompute } from "./compute";
import { judgeStorage } from "./storage";

/**
 * The verified messages of one challenge exchange, as the challenger (or a third party) holds them.
 * Everything an answer is judged against is inside the signed challenge (storage root and size,
 * payload commitment) or opened by the salt it committed to; nothing else is consulted.
 */
export interface Exchange {
  challenge: Message<"challenge">;
  salt: Uint8Array;
  commit?: Message<"commit"> | null;
  response: Message<"response">;
}

export type Judgement =
  | { outcome: "pass"; workUnits: bigint }
  | { outcome: "fraud"; reason: FraudReasonName; detail: string };

/**
 * Bytes of proven storage worth one work unit: 64 KiB. The fleet's replica (64 chunks of 1 KiB) is
 * then worth 1, the weight a storage challenge had next to the other kinds before credit scaled
 * with size; a target under 64 KiB earns nothing, one of 1 GiB earns 16,384.
 */
export const STORAGE_BYTES_PER_UNIT = 64n * 1024n;

/**
 * Credited work for a passed challenge, in units of a 64x64 compute challenge: (n/64)^3 for
 * compute (its multiply-add count relative to the smallest class); for storage the bytes the
 * target covers (chunks × chunk size, all of which the device must hold to pass every sample) over
 * `STORAGE_BYTES_PER_UNIT`, rounded down; 1 for the other kinds.
 */
export const workUnitsOf = (c: Message<"challenge">): bigint => {
  const p = c.body.params;
  if (p.type === "storage")
    return (BigInt(p.storageChunks) * BigInt(p.storageChunkBytes)) / STORAGE_BYTES_PER_UNIT;
  return p.type === "compute" ? BigInt((p.n / 64) ** 3) : 1n;
};

/**
 * Judges a response whose signatures were already checked. Errors are inconsistencies no device
 * signature can explain (wrong salt, messages of different challenges): the exchange is rejected,
 * nobody is slashed. A `fraud` outcome only ever rests on content the device signed.
 */
export function judgeExchange(x: Exchange): Result<Judgement> {
  const { challenge, response, salt } = x;
  const id = challengeIdOf(challenge.signingBytes);
  if (!equalBytes(keccak256(salt), challenge.body.saltHash))
    return fail("MISMATCH", "salt does not open challenge.saltHash");
  if (!equalBytes(response.signer, challenge.body.deviceId)) return fail("WRONG_DEVICE", "response signer");
  if (!equalBytes(response.body.challengeId, id)) return fail("MISMATCH", "response.challengeId");
  if (response.networkId !== challenge.networkId || response.epoch !== challenge.epoch)
    return fail("MISMATCH", "response network/epoch");
  const p = challenge.body.params;
  const r = response.body;
  if (r.type !== p.type) return fail("MISMATCH", `response type ${r.type} for a ${p.type} challenge`);
  const pass = ok<Judgement>({ outcome: "pass", workUnits: workUnitsOf(challenge) });
  const fraud = (reason: FraudReasonName, detail: string) =>
    ok<Judgement>({ outcome: "fraud", reason, detail });

  if (p.type === "compute" && r.type === "compute") {
    const commit = x.commit;
    if (!commit) return fail("MISMATCH", "compute response without a commitment");
    if (!equalBytes(commit.signer, challenge.body.deviceId)) return fail("WRONG_DEVICE", "commit signer");
    if (!equalBytes(commit.body.challengeId, id)) return fail("MISMATCH", "commit.challengeId");
    const j = judgeCompute(computeSeed(id), p.n, p.samples, commit.body.resultRoot, salt, r.rows);
    return j.ok ? pass : fraud(j.reason, j.detail);
  }
  if (p.type === "storage" && r.type === "storage") {
    const j = judgeStorage(id, p.samples, p, r.chunks);
    return j.ok ? pass : fraud(j.reason, j.detail);
  }
  if (p.type === "bandwidth" && r.type === "bandwidth") {
    const payload = bandwidthPayload(challenge.body.nonce, salt, p.bytes);
    // A challenger that committed to another payload than its salt derives served something the
    // device could not check against the truth: its fault, never the device's.
    if (!equalBytes(payloadHash(payload), p.payloadHash))
      return fail("MISMATCH", "challenge.payloadHash is not the hash of the salt's payload");
    return equalBytes(bandwidthReceipt(id, payload), r.receipt)
      ? pass
      : fraud("bandwidthWrongHash", "payload receipt");
  }
  if (p.type === "latency" && r.type === "latency")
    return equalBytes(r.nonce, challenge.body.nonce) ? pass : fraud("latencyWrongNonce", "echoed nonce");
  return fail("MISMATCH", "response type");
}
