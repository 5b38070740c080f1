import type { MessageKindName } from "../constants";
import type { Ed25519Verify } from "../crypto/ed25519";
import { parseEnvelope, type RawEnvelope } from "../envelope";
import { AttestationError, fail, ok, type Result } from "../errors";
import { type ChallengeBody, decodeChallengeBody } from "./challenge";
import { type CommitBody, decodeCommitBody } from "./commit";
import { decodeEvidenceBody, type EvidenceBody } from "./evidence";
import { decodeHeartbeatBody, type HeartbeatBody } from "./heartbeat";
import { decodeRegistrationBody, type RegistrationBody } from "./registration";
import { decodeResponseBody, type ResponseBody } from "./response";

interface Bodies {
  registration: RegistrationBody;
  heartbeat: HeartbeatBody;
  challenge: ChallengeBody;
  commit: CommitBody;
  response: ResponseBody;
  evidence: EvidenceBody;
}

/** A decoded message of kind `K`: its envelope (header, signature, raw bytes) and typed body. */
export type Message<K extends MessageKindName = MessageKindName> = {
  [P in K]: Omit<RawEnvelope, "body" | "kind"> & { kind: P; body: Bodies[P] };
}[K];

const bodyDecoders: { [K in MessageKindName]: (b: Uint8Array) => Bodies[K] } = {
  registration: decodeRegistrationBody,
  heartbeat: decodeHeartbeatBody,
  challenge: decodeChallengeBody,
  commit: decodeCommitBody,
  response: decodeResponseBody,
  evidence: decodeEvidenceBody,
};

/** Runs `f`, turning the `AttestationError`s that decoders throw into a failed `Result`. */
export function guard<T>(f: () => Result<T>): Result<T> {
  try {
    return f();
  } catch (e) {
    if (e instanceof AttestationError) return { ok: false, error: e };
    // Decoders only throw AttestationError; anything else is a bug, but hostile bytes must still
    // never escape as an exception.
    return fail("MALFORMED", `decoder: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Parses a message without checking its signature or context. */
export function decodeMessage(bytes: Uint8Array): Result<Message> {
  return guard(() => {
    if (!(bytes instanceof Uint8Array)) return fail("MALFORMED", "message: not bytes");
    const env = parseEnvelope(bytes);
    const body = bodyDecoders[env.kind](env.body);
    return ok({ ...env, body } as Message);
  });
}

/** What the receiver expects: a message of another kind, network or epoch is a replay and fails. */
export interface Expect<K extends MessageKindName> {
  kind: K;
  networkId: bigint;
  /** Omit to accept any epoch (evidence and registrations may be checked across epochs). */
  epoch?: bigint;
  /** Required signer (deviceId or challenger key). */
  signer?: Uint8Array;
}

/** Decode, check context (kind, network, epoch, signer) and the Ed25519 signature. */
export function verifyMessage<K extends MessageKindName>(
  bytes: Uint8Array,
  expect: Expect<K>,
  verify: Ed25519Verify,
): Result<Message<K>> {
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) return decoded;
  const m = decoded.value;
  if (m.kind !== expect.kind) return fail("WRONG_KIND", `expected ${expect.kind}, got ${m.kind}`);
  if (m.networkId !== expect.networkId)
    return fail("WRONG_NETWORK", `expected network ${expect.networkId}, got ${m.networkId}`);
  if (expect.epoch !== undefined && m.epoch !== expect.epoch)
    return fail("WRONG_EPOCH", `expected epoch ${expect.epoch}, got ${m.epoch}`);
  if (expect.signer && !sameKey(expect.signer, m.signer)) return fail("WRONG_DEVICE", `${m.kind} signer`);
  if (!verify(m.signer, m.signingBytes, m.signature)) return fail("BAD_SIGNATURE", `${m.kind} signature`);
  return ok(m as Message<K>);
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
