// Test fixture (not part of the workflow): a real compute-fraud evidence bundle, built with the
// attestation library's portable API exactly as a challenger node would build one.
import { hexToBytes, keccak256, toBytes } from "viem";
import {
  Challenger,
  finishCompute,
  nobleSigner,
  nobleVerify,
  startCompute,
  verifyMessagePortable,
} from "../../attestation/portable";

const key = (label: string) => nobleSigner(hexToBytes(keccak256(toBytes(`vigil.workflow.test:${label}`))));

/** A signed evidence bundle proving that `device` answered a compute challenge wrongly (or honestly). */
export function computeEvidence(networkId: bigint, epoch: bigint, label: string, wrongResult = true) {
  const challenger = new Challenger({ networkId, signer: key(`${label}:node`), verify: nobleVerify });
  const device = key(`${label}:device`);
  const issued = challenger.issue({
    deviceId: device.publicKey,
    epoch,
    beacon: new Uint8Array(32),
    params: { type: "compute", n: 64, samples: 44 },
    nowMs: 0n,
  });
  const challenge = verifyMessagePortable(issued.bytes, { kind: "challenge", networkId });
  if (!challenge.ok) throw challenge.error;
  const work = startCompute(device, challenge.value, { wrongResult });
  const opened = challenger.onCommit(work.commit, 1n);
  if (!opened.ok) throw opened.error;
  const verdict = challenger.onResponse(finishCompute(device, work, opened.value.salt), 2n);
  return { deviceId: device.publicKey, verdict };
}
