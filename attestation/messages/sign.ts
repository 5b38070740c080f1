import type { MessageKindName } from "../constants";
import type { Signer } from "../crypto/ed25519";
import { sealEnvelope } from "../envelope";
import { type ChallengeBody, encodeChallengeBody } from "./challenge";
import { type CommitBody, encodeCommitBody } from "./commit";
import { type EvidenceBody, encodeEvidenceBody } from "./evidence";
import { encodeHeartbeatBody, type HeartbeatBody } from "./heartbeat";
import { encodeRegistrationBody, type RegistrationBody } from "./registration";
import { encodeResponseBody, type ResponseBody } from "./response";

interface Bodies {
  registration: RegistrationBody;
  heartbeat: HeartbeatBody;
  challenge: ChallengeBody;
  commit: CommitBody;
  response: ResponseBody;
  evidence: EvidenceBody;
}

const encoders: { [K in MessageKindName]: (b: Bodies[K]) => Uint8Array } = {
  registration: encodeRegistrationBody,
  heartbeat: encodeHeartbeatBody,
  challenge: encodeChallengeBody,
  commit: encodeCommitBody,
  response: encodeResponseBody,
  evidence: encodeEvidenceBody,
};

/** Where a message is valid: replaying it in another network or epoch fails verification. */
export interface MessageContext {
  networkId: bigint;
  epoch: bigint;
}

/** Canonical bytes of a signed message of kind `kind`. */
export function signMessage<K extends MessageKindName>(
  kind: K,
  ctx: MessageContext,
  body: Bodies[K],
  signer: Signer,
): Uint8Array {
  return sealEnvelope({ kind, networkId: ctx.networkId, epoch: ctx.epoch }, encoders[kind](body), signer);
}
