import { decodeMessage, verifyEvidenceFast } from "../../attestation/index";
import type { FraudEvidenceVerifier } from "../agreement/types";

/**
 * The result function's fraud check (docs/protocol.md, "Result function" step 3): a verdict counts
 * only if its evidence bundle, re-verified from its bytes alone, proves the stated reason against
 * this device in a network the node serves.
 */
export function createFraudVerifier(served: ReadonlySet<bigint>): FraudEvidenceVerifier {
  return (deviceId, verdict) => {
    const decoded = decodeMessage(verdict.evidence);
    if (!decoded.ok || !served.has(decoded.value.networkId)) return false;
    const proven = verifyEvidenceFast(verdict.evidence, { networkId: decoded.value.networkId });
    return (
      proven.ok &&
      proven.value.reasonCode === verdict.reason &&
      `0x${Buffer.from(proven.value.deviceId).toString("hex")}` === deviceId.toLowerCase()
    );
  };
}
