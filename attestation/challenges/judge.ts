import { equalBytes } from "../bytes";
import { fail, ok, type Result } from "../errors";
import { challengeIdOf, keccak256 } from "../hash";
import type { FraudReasonName } from "../messages/evidence";
import type { Message } from "../messages/message";
import { bandwidthPayload, payloadHash } from "./bandwidth";
import { computeSeed, judgeCompute } from "./compute";
import { judgeStorage } from "./storage";

/** The verified messages of one challenge exchange, as the challenger (or a third party) holds them. */
export interface Exchange {
  challenge: Message<"challenge">;
  salt: Uint8Array;
  registration?: Message<"registration"> | null;
  commit?: Message<"commit"> | null;
  response: Message<"response">;
}

export type Judgement =
  | { outcome: "pass"; workUnits: bigint }
  | { outcome: "fraud"; reason: FraudReasonName; detail: string };

/**
 * Credited work for a passed challenge, in units of a 64x64 compute challenge: (n/64)^3 for
 * compute (its multiply-add count relative to the smallest class), 1 for the other kinds.
 */
export const workUnitsOf = (c: Message<"challenge">): bigint =>
  c.body.params.type === "compute" ? BigInt((c.body.params.n / 64) ** 3) : 1n;

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
    const reg = x.registration;
    if (!reg) return fail("MISMATCH", "storage response without the device's registration");
    if (!equalBytes(reg.signer, challenge.body.deviceId)) return fail("WRONG_DEVICE", "registration signer");
    if (reg.networkId !== challenge.networkId) return fail("MISMATCH", "registration network");
    if (reg.body.storageChunks === 0) return fail("MISMATCH", "device registered no storage");
    const j = judgeStorage(id, p.samples, reg.body, r.chunks);
    return j.ok ? pass : fraud(j.reason, j.detail);
  }
  if (p.type === "bandwidth" && r.type === "bandwidth") {
    const expected = payloadHash(bandwidthPayload(id, salt, p.bytes));
    return equalBytes(expected, r.payloadHash) ? pass : fraud("bandwidthWrongHash", "payload hash");
  }
  if (p.type === "latency" && r.type === "latency")
    return equalBytes(r.nonce, challenge.body.nonce) ? pass : fraud("latencyWrongNonce", "echoed nonce");
  return fail("MISMATCH", "response type");
}
