import type { ChallengeTypeName } from "./constants";
import type { AttestationError } from "./errors";
import type { FraudReasonName } from "./messages/evidence";

/**
 * What the node concludes from one challenge. Only `fraud` is slashable, because only there the
 * device's own signature proves the failure; `late` and `missed` cost the device its credit (and
 * uptime), `rejected` input cannot be attributed to any registered device and earns nothing.
 */
export type Verdict =
  | {
      status: "pass";
      deviceId: Uint8Array;
      challengeId: Uint8Array;
      type: ChallengeTypeName;
      workUnits: bigint;
      /** Challenger-measured time from delivering the challenge (or payload) to the response. */
      rttMs: number;
    }
  | {
      status: "fraud";
      deviceId: Uint8Array;
      challengeId: Uint8Array;
      type: ChallengeTypeName;
      reason: FraudReasonName;
      /** `DeviceSlash.reason` on chain (`FraudReason[reason]`). */
      reasonCode: number;
      detail: string;
      /** Signed evidence bundle (see `verifyEvidence`) and its keccak256, the on-chain slash key. */
      evidence: Uint8Array;
      evidenceHash: Uint8Array;
    }
  | {
      status: "late";
      deviceId: Uint8Array;
      challengeId: Uint8Array;
      type: ChallengeTypeName;
      receivedAtMs: bigint;
      deadlineMs: bigint;
    }
  | {
      status: "missed";
      deviceId: Uint8Array;
      challengeId: Uint8Array;
      type: ChallengeTypeName;
      deadlineMs: bigint;
    }
  | { status: "rejected"; error: AttestationError };

export type VerdictStatus = Verdict["status"];

/** Whether a verdict may lead to a slash (carries evidence anyone can re-verify). */
export const isSlashable = (v: Verdict): v is Extract<Verdict, { status: "fraud" }> => v.status === "fraud";
