import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeVerify } from "./crypto/node";
import { finishCompute, startCompute } from "./device";
import { buildEvidence, verifyEvidence } from "./evidence";
import { type Message, verifyMessage } from "./messages/message";
import { verifyEvidencePortable } from "./portable";
import { keyFromLabel, testChallenger, testDevice } from "./testing";

const NET = 11n;
const EPOCH = 2n;

function computeExchange(wrongResult: boolean) {
  const challenger = testChallenger("ev-node", NET);
  const device = testDevice(`ev-${wrongResult}`, NET);
  const issued = challenger.issue({
    deviceId: device.signer.publicKey,
    epoch: EPOCH,
    beacon: new Uint8Array(32),
    params: { type: "compute", n: 64, samples: 44 },
    nowMs: 0n,
  });
  const challenge = verifyMessage(issued.bytes, { kind: "challenge", networkId: NET }, nodeVerify);
  if (!challenge.ok) throw challenge.error;
  const work = startCompute(device.signer, challenge.value, { wrongResult });
  const opened = challenger.onCommit(work.commit, 1n);
  if (!opened.ok) throw opened.error;
  const response = finishCompute(device.signer, work, opened.value.salt);
  const decode = <K extends "commit" | "response">(b: Uint8Array, kind: K): Message<K> => {
    const m = verifyMessage(b, { kind, networkId: NET }, nodeVerify);
    if (!m.ok) throw m.error;
    return m.value;
  };
  return {
    challenger,
    challenge: challenge.value,
    salt: opened.value.salt,
    commit: decode(work.commit, "commit"),
    response: decode(response, "response"),
    verdict: challenger.onResponse(response, 2n),
  };
}

describe("evidence", () => {
  const fraud = computeExchange(true);
  if (fraud.verdict.status !== "fraud") throw new Error("expected fraud");
  const evidence = fraud.verdict.evidence;

  it("verifies with the same result on the fast and the portable path", () => {
    const fast = verifyEvidence(evidence, { networkId: NET, epoch: EPOCH, judges: "unchecked" }, nodeVerify);
    expect(fast.ok && fast.value.reasonCode).toBe(1);
    expect(verifyEvidencePortable(evidence, { networkId: NET, epoch: EPOCH, judges: "unchecked" })).toEqual(
      fast,
    );
  });

  describe("binds the judge: only an oracle assigned to the device under the epoch's beacon", () => {
    const node = keyFromLabel("ev-node").publicKey;
    const beacon = new Uint8Array(32);
    const expectWith = (judges: Parameters<typeof verifyEvidence>[1]["judges"]) =>
      verifyEvidence(evidence, { networkId: NET, judges }, nodeVerify);
    const code = (r: ReturnType<typeof expectWith>) => (r.ok ? "ok" : r.error.code);

    it("accepts the assigned challenger, on both paths", () => {
      const judges = () => ({ beacon, challengers: [keyFromLabel("other").publicKey, node] });
      expect(code(expectWith(judges))).toBe("ok");
      const portable = verifyEvidencePortable(evidence, { networkId: NET, judges });
      expect(portable).toEqual(expectWith(judges));
    });

    it("rejects a challenger the chain did not assign (a stranger, or an oracle watching others)", () => {
      const r = expectWith(() => ({ beacon, challengers: [keyFromLabel("other").publicKey] }));
      expect(r.ok || r.error.check).toMatch(/not assigned/);
      expect(
        code(
          verifyEvidencePortable(evidence, { networkId: NET, judges: () => ({ beacon, challengers: [] }) }),
        ),
      ).toBe("NOT_ASSIGNED");
    });

    it("rejects a challenge seeded from another beacon than the epoch's", () => {
      const r = expectWith(() => ({ beacon: new Uint8Array(32).fill(7), challengers: [node] }));
      expect(r.ok || r.error.check).toMatch(/another beacon/);
    });

    it("rejects what the caller cannot judge now (a stale epoch), with its reason", () => {
      let asked: { epoch: bigint; deviceId: Uint8Array } | undefined;
      const r = expectWith((q) => {
        asked = q;
        return "evidence of epoch 2, the current epoch is 9";
      });
      expect(r.ok || `${r.error.code}: ${r.error.check}`).toBe(
        "NOT_ASSIGNED: evidence of epoch 2, the current epoch is 9",
      );
      // The question is about the bundle's own epoch and device.
      expect(asked?.epoch).toBe(EPOCH);
      expect(asked?.deviceId).toEqual(fraud.challenge.body.deviceId);
    });
  });

  it("a challenger cannot frame an honest device: a bundle around a passing response fails", () => {
    const honest = computeExchange(false);
    expect(honest.verdict.status).toBe("pass");
    const framed = buildEvidence(
      { ...honest, responseReceivedAtMs: 2n, reason: "computeWrongRow" },
      keyFromLabel("ev-node"),
    );
    const r = verifyEvidence(framed, { networkId: NET, judges: "unchecked" }, nodeVerify);
    expect(r.ok || r.error.code).toBe("VERDICT_MISMATCH");
  });

  it("a bundle signed by someone other than the challenger fails", () => {
    const resigned = buildEvidence(
      { ...fraud, responseReceivedAtMs: 2n, reason: "computeWrongRow" },
      keyFromLabel("mallory"),
    );
    const r = verifyEvidence(resigned, { networkId: NET, judges: "unchecked" }, nodeVerify);
    expect(r.ok || r.error.code).toBe("WRONG_DEVICE");
  });

  it("property: any byte change makes the bundle fail, on both paths alike, without throwing", () => {
    fc.assert(
      fc.property(fc.nat({ max: evidence.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const t = evidence.slice();
        t[i]! ^= x;
        const fast = verifyEvidence(t, { networkId: NET, judges: "unchecked" }, nodeVerify);
        expect(fast.ok).toBe(false);
        const portable = verifyEvidencePortable(t, { networkId: NET, judges: "unchecked" });
        expect(portable.ok ? "ok" : portable.error.code).toBe(fast.ok ? "ok" : fast.error.code);
      }),
      { numRuns: 60 },
    );
  });

  it("property: arbitrary bytes never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        expect(verifyEvidence(b, { networkId: NET, judges: "unchecked" }, nodeVerify).ok).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });
});
