import { bytesToHex, equalBytes } from "./bytes";
import { judgeExchange } from "./challenges/judge";
import type { Ed25519Verify, Signer } from "./crypto/ed25519";
import { fail, ok, type Result } from "./errors";
import { challengeIdOf, evidenceHashOf } from "./hash";
import type { FraudReasonName } from "./messages/evidence";
import { FraudReason } from "./messages/evidence";
import { guard, type Message, verifyMessage } from "./messages/message";
import { signMessage } from "./messages/sign";

export interface EvidenceInput {
  challenge: Message<"challenge">;
  salt: Uint8Array;
  commit?: Message<"commit"> | null;
  response: Message<"response">;
  commitReceivedAtMs?: bigint;
  responseReceivedAtMs: bigint;
  reason: FraudReasonName;
}

/** The challenger signs a bundle of the whole exchange (same network and epoch as the challenge). */
export function buildEvidence(x: EvidenceInput, challenger: Signer): Uint8Array {
  return signMessage(
    "evidence",
    { networkId: x.challenge.networkId, epoch: x.challenge.epoch },
    {
      challenge: x.challenge.bytes,
      commit: x.commit?.bytes ?? null,
      salt: x.salt,
      response: x.response.bytes,
      commitReceivedAtMs: x.commitReceivedAtMs ?? 0n,
      responseReceivedAtMs: x.responseReceivedAtMs,
      reason: x.reason,
    },
    challenger,
  );
}

/**
 * Who may judge a device in an epoch, as the caller knows it from the chain (never from the
 * bundle): the beacon pinned for the epoch and the Ed25519 keys of the oracles assigned to the
 * device under it (`assignedOracles`).
 */
export interface EvidenceJudges {
  beacon: Uint8Array;
  challengers: readonly Uint8Array[];
}

/**
 * The judges of a device's exchange in an epoch, or why none may judge it now (the epoch is not
 * the current one or the one just closed, the chain state is unknown): a string rejects the bundle.
 */
export type JudgesOf = (q: {
  networkId: bigint;
  epoch: bigint;
  deviceId: Uint8Array;
}) => EvidenceJudges | string;

export interface EvidenceExpect {
  networkId: bigint;
  epoch?: bigint;
  /**
   * Who may have challenged. Every place that decides money passes the chain's assignment, so a
   * bundle signed by a key that was not assigned to the device (any stranger, a registered oracle
   * watching other devices, an assigned one that seeded the challenge from another beacon) proves
   * nothing there. `"unchecked"` skips it: for analysis of a bundle's content only.
   */
  judges: JudgesOf | "unchecked";
}

/** What a verified evidence bundle proves: this device signed fraudulent content in this epoch. */
export interface ProvenFraud {
  networkId: bigint;
  epoch: bigint;
  deviceId: Uint8Array;
  challenger: Uint8Array;
  /** The beacon the challenge was seeded from. */
  beacon: Uint8Array;
  challengeId: Uint8Array;
  reason: FraudReasonName;
  /** `DeviceSlash.reason` on chain. */
  reasonCode: number;
  /** keccak256 of the bundle bytes: `DeviceSlash.evidenceHash`. */
  evidenceHash: Uint8Array;
  detail: string;
}

/**
 * Re-verifies an evidence bundle with nothing but its bytes and the caller's view of the chain:
 * every signature, the links between the messages, that the challenger was assigned to the device
 * in that epoch under the epoch's beacon (`expect.judges`), and the fraud itself (recomputed, not
 * trusted). Never throws.
 */
export function verifyEvidence(
  bytes: Uint8Array,
  expect: EvidenceExpect,
  verify: Ed25519Verify,
): Result<ProvenFraud> {
  return guard(() => {
    const ev = verifyMessage(
      bytes,
      { kind: "evidence", networkId: expect.networkId, epoch: expect.epoch },
      verify,
    );
    if (!ev.ok) return ev;
    const e = ev.value;
    const ctx = { networkId: e.networkId, epoch: e.epoch };
    const challenge = verifyMessage(
      e.body.challenge,
      { kind: "challenge", ...ctx, signer: e.signer },
      verify,
    );
    if (!challenge.ok) return challenge;
    const deviceId = challenge.value.body.deviceId;
    if (expect.judges !== "unchecked") {
      const judges = expect.judges({ networkId: e.networkId, epoch: e.epoch, deviceId });
      if (typeof judges === "string") return fail("NOT_ASSIGNED", judges);
      if (!equalBytes(challenge.value.body.beacon, judges.beacon))
        return fail("NOT_ASSIGNED", "challenge seeded from another beacon than the epoch's");
      if (!judges.challengers.some((k) => equalBytes(k, e.signer)))
        return fail("NOT_ASSIGNED", "challenger not assigned to the device in the epoch");
    }
    if (!e.body.response) return fail("VERDICT_MISMATCH", "evidence without a response proves no fraud");
    const response = verifyMessage(e.body.response, { kind: "response", ...ctx, signer: deviceId }, verify);
    if (!response.ok) return response;
    let commit: Message<"commit"> | null = null;
    if (e.body.commit) {
      const c = verifyMessage(e.body.commit, { kind: "commit", ...ctx, signer: deviceId }, verify);
      if (!c.ok) return c;
      commit = c.value;
    }
    const judged = judgeExchange({
      challenge: challenge.value,
      salt: e.body.salt,
      commit,
      response: response.value,
    });
    if (!judged.ok) return judged;
    const j = judged.value;
    if (j.outcome !== "fraud") return fail("VERDICT_MISMATCH", "the response passes the challenge");
    if (j.reason !== e.body.reason)
      return fail("VERDICT_MISMATCH", `bundle claims ${e.body.reason}, content shows ${j.reason}`);
    return ok({
      networkId: e.networkId,
      epoch: e.epoch,
      deviceId,
      challenger: e.signer,
      beacon: challenge.value.body.beacon,
      challengeId: challengeIdOf(challenge.value.signingBytes),
      reason: j.reason,
      reasonCode: FraudReason[j.reason],
      evidenceHash: evidenceHashOf(bytes),
      detail: j.detail,
    });
  });
}

export const hex = (b: Uint8Array): `0x${string}` => `0x${bytesToHex(b)}`;
