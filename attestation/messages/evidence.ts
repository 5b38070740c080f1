import { Reader, Writer } from "../bytes";
import { MAX_MESSAGE_BYTES } from "../constants";
import { AttestationError } from "../errors";

/**
 * Why a device is slashed; the code is `DeviceSlash.reason` on chain. Only failures that the
 * device's own signature proves are listed: everything else (no answer, late answer, forged or
 * replayed messages) cannot be pinned on the device's key and is not slashable.
 */
export const FraudReason = {
  computeWrongRow: 1, // an opened result row, signed by the device, is not the row of A·B
  computeBadOpening: 2, // opened rows do not match the device's signed commitment or the requested indices
  storageMissing: 3, // a requested chunk declared missing or not matching the storage root the challenge names
  bandwidthWrongHash: 4, // the signed receipt is not the receipt of the payload the challenge committed to
  latencyWrongNonce: 5, // the signed echo carries another nonce than the challenge's
} as const;
export type FraudReasonName = keyof typeof FraudReason;
export const fraudReasonName = (code: number): FraudReasonName | undefined =>
  (Object.keys(FraudReason) as FraudReasonName[]).find((k) => FraudReason[k] === code);

/** Signed by the challenger. Every nested message is a full signed envelope, so the bundle is self-contained. */
export interface EvidenceBody {
  challenge: Uint8Array;
  commit: Uint8Array | null;
  salt: Uint8Array;
  response: Uint8Array | null;
  /** Challenger's clock when the commit / response arrived (0 = not received). Trusted only as the challenger's word. */
  commitReceivedAtMs: bigint;
  responseReceivedAtMs: bigint;
  reason: FraudReasonName;
}

const opt = (w: Writer, b: Uint8Array | null) => w.varBytes(b ?? new Uint8Array(0));

export function encodeEvidenceBody(b: EvidenceBody): Uint8Array {
  const w = new Writer().varBytes(b.challenge);
  opt(w, b.commit);
  w.fixed(b.salt, 32);
  opt(w, b.response);
  return w.u64(b.commitReceivedAtMs).u64(b.responseReceivedAtMs).u8(FraudReason[b.reason]).finish();
}

export function decodeEvidenceBody(body: Uint8Array): EvidenceBody {
  const r = new Reader(body);
  const read = (field: string) => {
    const b = r.varBytes(field, MAX_MESSAGE_BYTES);
    return b.length === 0 ? null : b;
  };
  const challenge = read("evidence.challenge");
  if (!challenge) throw new AttestationError("MALFORMED", "evidence.challenge missing");
  const commit = read("evidence.commit");
  const salt = r.bytes(32, "evidence.salt");
  const response = read("evidence.response");
  const commitReceivedAtMs = r.u64("evidence.commitReceivedAtMs");
  const responseReceivedAtMs = r.u64("evidence.responseReceivedAtMs");
  const code = r.u8("evidence.reason");
  const reason = fraudReasonName(code);
  if (!reason) throw new AttestationError("MALFORMED", `evidence.reason ${code}`);
  r.end("evidence");
  return {
    challenge,
    commit,
    salt,
    response,
    commitReceivedAtMs,
    responseReceivedAtMs,
    reason,
  };
}
