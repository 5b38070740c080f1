import { peerIdFromString } from "@libp2p/peer-id";
import { type Hex, hexToBytes } from "viem";
import { decodeMessage, type EvidenceJudges, verifyEvidenceFast } from "../../attestation/index";
import type { EpochContext, FraudEvidenceVerifier } from "../agreement/types";

/** The Ed25519 key a registered peer id embeds (its challenger key), undefined for other key types. */
export function challengerKeyOf(peerId: string): Uint8Array | undefined {
  try {
    const key = peerIdFromString(peerId).publicKey;
    return key?.type === "Ed25519" ? key.raw : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who may have produced evidence about a device in the context's epoch: its assigned oracles'
 * challenger keys under the epoch's pinned beacon, from the context alone (the chain as pinned for
 * the result), so every node gets the same answer.
 */
export function judgesInContext(ctx: EpochContext, deviceId: Hex): EvidenceJudges {
  const keyOf = new Map(ctx.oracles.map((o) => [o.signer.toLowerCase(), o.peerId]));
  const challengers = (ctx.assignment.get(deviceId.toLowerCase() as Hex) ?? []).flatMap((signer) => {
    const peerId = keyOf.get(signer.toLowerCase());
    const key = peerId ? challengerKeyOf(peerId) : undefined;
    return key ? [key] : [];
  });
  return { beacon: hexToBytes(ctx.beacon), challengers };
}

/**
 * The result function's fraud check (docs/protocol.md, "Result function" step 3): a verdict counts
 * only if its evidence bundle, re-verified from its bytes alone, proves the stated reason against
 * this device, in this epoch of a network the node serves, and was produced by an oracle assigned to
 * the device in that epoch. A bundle from any other key (a stranger, an oracle watching other
 * devices) or from another epoch slashes nothing, whoever relays it.
 */
export function createFraudVerifier(
  served: ReadonlySet<bigint>,
  /** Told each bundle that proved fraud, so the node can keep it for the feed's evidence route. */
  onProven?: (e: {
    networkId: bigint;
    epoch: bigint;
    deviceId: Hex;
    evidenceHash: Hex;
    bytes: Uint8Array;
  }) => void,
): FraudEvidenceVerifier {
  return (ctx, deviceId, verdict) => {
    const decoded = decodeMessage(verdict.evidence);
    if (!decoded.ok || !served.has(ctx.networkId)) return false;
    const proven = verifyEvidenceFast(verdict.evidence, {
      networkId: ctx.networkId,
      epoch: ctx.epoch,
      judges: () => judgesInContext(ctx, deviceId),
    });
    const valid =
      proven.ok &&
      proven.value.reasonCode === verdict.reason &&
      `0x${Buffer.from(proven.value.deviceId).toString("hex")}` === deviceId.toLowerCase();
    // A result's slash names this bundle's hash: keep it even if the intake never saw it on gossip.
    if (valid)
      onProven?.({
        networkId: ctx.networkId,
        epoch: ctx.epoch,
        deviceId: deviceId.toLowerCase() as Hex,
        evidenceHash: `0x${Buffer.from(proven.value.evidenceHash).toString("hex")}`,
        bytes: verdict.evidence,
      });
    return valid;
  };
}
