import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { equalBytes } from "../bytes";
import { nodeVerify } from "../crypto/node";
import { finishCompute, startCompute } from "../device";
import { parseEnvelope, sealEnvelope } from "../envelope";
import { buildEvidence, verifyEvidence } from "../evidence";
import { keccak256 } from "../hash";
import { type Message, verifyMessage } from "../messages/message";
import { verifyEvidencePortable } from "../portable";
import { keyFromLabel, testDevice } from "../testing";
import { summarizeLatency } from "./bandwidth";
import { Challenger } from "./challenger";
import { judgeExchange } from "./judge";

const NET = 21n;

describe("judgeExchange on device-signed garbage", () => {
  // One honest compute exchange; the property re-signs mutated response bodies with the device key,
  // so signatures are valid and only the judging logic stands between garbage and a verdict.
  const device = testDevice("judge-device", NET);
  const challengerKey = keyFromLabel("judge-node");
  let salt = new Uint8Array(32);
  const challenger = new Challenger({
    networkId: NET,
    signer: challengerKey,
    verify: nodeVerify,
    random: (n) => (salt = new Uint8Array(n).fill(7)),
  });
  const issued = challenger.issue({
    deviceId: device.signer.publicKey,
    epoch: 1n,
    beacon: new Uint8Array(32),
    params: { type: "compute", n: 64, samples: 44 },
    nowMs: 0n,
  });
  const dec = <K extends "challenge" | "commit" | "response">(b: Uint8Array, kind: K): Message<K> => {
    const m = verifyMessage(b, { kind, networkId: NET }, nodeVerify);
    if (!m.ok) throw m.error;
    return m.value;
  };
  const challenge = dec(issued.bytes, "challenge");
  const work = startCompute(device.signer, challenge);
  const commit = dec(work.commit, "commit");
  const honest = parseEnvelope(finishCompute(device.signer, work, salt));

  it("never passes changed content, never throws, and every fraud it finds is verifiable evidence", () => {
    expect(equalBytes(keccak256(salt), challenge.body.saltHash)).toBe(true);
    fc.assert(
      fc.property(fc.nat({ max: honest.body.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const body = honest.body.slice();
        body[i]! ^= x;
        const bytes = sealEnvelope({ kind: "response", networkId: NET, epoch: 1n }, body, device.signer);
        const response = verifyMessage(bytes, { kind: "response", networkId: NET }, nodeVerify);
        if (!response.ok) return; // unparseable: rejected before judging
        const j = judgeExchange({ challenge, salt, commit, response: response.value });
        if (!j.ok) return; // e.g. a changed challenge id: not this challenge, nobody slashed
        expect(j.value.outcome).toBe("fraud");
        if (j.value.outcome !== "fraud") return;
        const evidence = buildEvidence(
          {
            challenge,
            salt,
            commit,
            response: response.value,
            responseReceivedAtMs: 1n,
            reason: j.value.reason,
          },
          challengerKey,
        );
        const fast = verifyEvidence(evidence, { networkId: NET, judges: "unchecked" }, nodeVerify);
        expect(fast.ok && fast.value.reason).toBe(j.value.reason);
        expect(verifyEvidencePortable(evidence, { networkId: NET, judges: "unchecked" })).toEqual(fast);
      }),
      { numRuns: 80 },
    );
  });
});

describe("summarizeLatency", () => {
  it("takes the tightest bound and the median over challengers", () => {
    expect(summarizeLatency([])).toBeNull();
    expect(summarizeLatency([40, 10, 30])).toEqual({ minMs: 10, medianMs: 30, count: 3 });
    expect(summarizeLatency([40, 10, 30, 20])).toEqual({ minMs: 10, medianMs: 25, count: 4 });
  });
});
