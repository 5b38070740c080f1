// Test fixture (not part of the workflow): a real compute-fraud evidence bundle, built with the
// attestation library's portable API exactly as a challenger node would build one.
import { hexToBytes, keccak256, toBytes } from "viem";
import {
  buildEvidence,
  Challenger,
  decodeMessage,
  finishCompute,
  type Message,
  nobleSigner,
  nobleVerify,
  type Signer,
  startCompute,
  verifyMessagePortable,
} from "../../attestation/portable";

/** A deterministic Ed25519 key for tests. */
export const testKey = (label: string): Signer =>
  nobleSigner(hexToBytes(keccak256(toBytes(`vigil.workflow.test:${label}`))));

export interface EvidenceOptions {
  networkId: bigint;
  epoch: bigint;
  /** Names the default keys (`<label>:node`, `<label>:device`). */
  label: string;
  /**
   * Who challenges and signs the evidence. Evidence that slashes comes from an oracle assigned to the
   * device in the epoch: pass that node's peer key. Default: a key no registry knows.
   */
  challenger?: Signer;
  /** The beacon the challenge is seeded from: the epoch's pinned beacon for evidence that slashes. */
  beacon?: Uint8Array;
  /** The device's key; default `testKey("<label>:device")`. */
  device?: Signer;
  /** Default true: the device answers wrongly (fraud); false: honestly (no evidence). */
  wrongResult?: boolean;
}

/** A signed evidence bundle proving that a device answered a compute challenge wrongly (or honestly). */
export function computeEvidence(o: EvidenceOptions) {
  const signer = o.challenger ?? testKey(`${o.label}:node`);
  const challenger = new Challenger({ networkId: o.networkId, signer, verify: nobleVerify });
  const device = o.device ?? testKey(`${o.label}:device`);
  const issued = challenger.issue({
    deviceId: device.publicKey,
    epoch: o.epoch,
    beacon: o.beacon ?? new Uint8Array(32),
    params: { type: "compute", n: 64, samples: 44 },
    nowMs: 0n,
  });
  const challenge = verifyMessagePortable(issued.bytes, { kind: "challenge", networkId: o.networkId });
  if (!challenge.ok) throw challenge.error;
  const work = startCompute(device, challenge.value, { wrongResult: o.wrongResult ?? true });
  const opened = challenger.onCommit(work.commit, 1n);
  if (!opened.ok) throw opened.error;
  const verdict = challenger.onResponse(finishCompute(device, work, opened.value.salt), 2n);
  return {
    deviceId: device.publicKey,
    challengerKey: signer.publicKey,
    verdict,
    /**
     * The same exchange signed again by the same challenger with another response receive time: a
     * bundle that verifies as well, under a new evidence hash.
     */
    resign(responseReceivedAtMs: bigint): Uint8Array {
      if (verdict.status !== "fraud") throw new Error("only a fraud verdict has evidence to re-sign");
      const bundle = decodeMessage(verdict.evidence);
      if (!bundle.ok || bundle.value.kind !== "evidence") throw new Error("fixture evidence does not decode");
      const b = bundle.value.body;
      const message = <K extends "challenge" | "commit" | "response">(bytes: Uint8Array, kind: K) => {
        const m = decodeMessage(bytes);
        if (!m.ok || m.value.kind !== kind) throw new Error(`fixture evidence holds no ${kind}`);
        return m.value as Message<K>;
      };
      return buildEvidence(
        {
          challenge: message(b.challenge, "challenge"),
          commit: b.commit ? message(b.commit, "commit") : null,
          salt: b.salt,
          response: message(b.response!, "response"),
          commitReceivedAtMs: b.commitReceivedAtMs,
          responseReceivedAtMs,
          reason: b.reason,
        },
        signer,
      );
    },
  };
}
