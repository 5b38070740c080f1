import { bytesToHex, type Hex, hexToBytes, keccak256 } from "viem";
import { decodeMessage, verifyEvidencePortable } from "../../../attestation/portable";
import { EvidenceMismatchError, InvalidEvidenceError } from "./errors";
import type { EvidenceJudgesOnChain } from "./readEvidenceJudges";
import type { SlashOnChain } from "./readSlashOnChain";

/** What a re-verified evidence bundle proves, beside the slash it backs. */
export interface VerifiedSlashEvidence {
  /** The slash as the chain applied it: the hash the bundle was matched against. */
  slash: SlashOnChain;
  /** The bundle's bytes: keccak256 equals `slash.evidenceHash`. */
  evidence: Uint8Array;
  /**
   * Re-verified by the attestation library from the bundle alone and the chain's assignment: every
   * signature (challenger's and device's), the links between the messages, that the challenger was
   * assigned to the device under the epoch's pinned beacon, and the fraud itself (recomputed).
   */
  fraud: {
    /** The challenger's Ed25519 key: one of `judges.challengers`. */
    challenger: Hex;
    beacon: Hex;
    challengeId: Hex;
    /** The attestation library's fraud reason; its code equals `slash.reason`. */
    reason: string;
    reasonCode: number;
    detail: string;
  };
  /** The assignment read from the chain at the last block before the epoch's start. */
  judges: EvidenceJudgesOnChain;
  /**
   * Fields the bundle carries as the challenger's word alone: the times its clock read when the
   * device's commit and response arrived (0 = not received). No fraud verdict depends on them.
   */
  unverified: { commitReceivedAtMs: bigint; responseReceivedAtMs: bigint };
}

/**
 * Checks a served evidence bundle against the slash the chain applied: (a) its bytes hash to the
 * slash's `evidenceHash` (`EvidenceMismatchError` otherwise), (b) the attestation library's fraud
 * verifier accepts it under the judges read from the chain, and it proves fraud by the slashed device,
 * in the slashed epoch, for the slash's reason (`InvalidEvidenceError` otherwise). (b) matters when
 * f + 1 oracles signed a slash without valid evidence: the chain cannot tell, this check can.
 */
export function verifySlashEvidence(
  bytes: Uint8Array,
  slash: SlashOnChain,
  judges: EvidenceJudgesOnChain,
  node: string,
): VerifiedSlashEvidence {
  const hash = keccak256(bytes);
  if (hash !== slash.evidenceHash.toLowerCase())
    throw new EvidenceMismatchError(node, "evidenceHash", slash.evidenceHash, hash);
  const proven = verifyEvidencePortable(bytes, {
    networkId: slash.networkId,
    epoch: slash.epoch,
    judges: (q) =>
      q.epoch === slash.epoch && bytesToHex(q.deviceId) === slash.deviceId.toLowerCase()
        ? { beacon: hexToBytes(judges.beacon), challengers: judges.challengers.map((k) => hexToBytes(k)) }
        : `the bundle's challenge names device ${bytesToHex(q.deviceId)} in epoch ${q.epoch}, the slash device ${slash.deviceId} in epoch ${slash.epoch}`,
  });
  if (!proven.ok)
    throw new InvalidEvidenceError(node, proven.error.code, proven.error.message, {
      evidenceHash: slash.evidenceHash,
    });
  const f = proven.value;
  if (f.reasonCode !== slash.reason)
    throw new InvalidEvidenceError(
      node,
      "REASON_MISMATCH",
      `the bundle proves ${f.reason} (${f.reasonCode}), the chain applied reason ${slash.reason}`,
      { proven: f.reasonCode, onChain: slash.reason },
    );
  // Verified above: the bundle decodes as evidence.
  const decoded = decodeMessage(bytes);
  const body = decoded.ok && decoded.value.kind === "evidence" ? decoded.value.body : undefined;
  return {
    slash,
    evidence: bytes,
    fraud: {
      challenger: bytesToHex(f.challenger),
      beacon: bytesToHex(f.beacon),
      challengeId: bytesToHex(f.challengeId),
      reason: f.reason,
      reasonCode: f.reasonCode,
      detail: f.detail,
    },
    judges,
    unverified: {
      commitReceivedAtMs: body?.commitReceivedAtMs ?? 0n,
      responseReceivedAtMs: body?.responseReceivedAtMs ?? 0n,
    },
  };
}
