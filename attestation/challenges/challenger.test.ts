import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeVerify } from "../crypto/node";
import {
  answerBandwidth,
  answerLatency,
  answerStorage,
  type DeviceBehaviour,
  finishCompute,
  startCompute,
} from "../device";
import { verifyEvidence } from "../evidence";
import { keccak256, u32be } from "../hash";
import { FraudReason, type FraudReasonName } from "../messages/evidence";
import { type Message, verifyMessage } from "../messages/message";
import { verifyEvidencePortable } from "../portable";
import { testChallenger, testDevice } from "../testing";
import type { Verdict } from "../verdict";
import type { Challenger, IssueParams } from "./challenger";

const NET = 7n;
const EPOCH = 3n;
const beacon = new Uint8Array(32).fill(9);

function decodeChallenge(bytes: Uint8Array): Message<"challenge"> {
  const m = verifyMessage(bytes, { kind: "challenge", networkId: NET, epoch: EPOCH }, nodeVerify);
  if (!m.ok) throw m.error;
  return m.value;
}

/** Runs one full exchange (device honest or cheating) and returns the challenger's verdict. */
function exchange(
  challenger: Challenger,
  label: string,
  params: IssueParams,
  behaviour: DeviceBehaviour = {},
  responseAtMs = 100n,
): Verdict {
  const device = testDevice(label, NET);
  const issued = challenger.issue({
    deviceId: device.signer.publicKey,
    epoch: EPOCH,
    beacon,
    params,
    nowMs: 0n,
    ttlMs: 1_000,
    storage: device.target,
  });
  challenger.delivered(issued.challengeId, 1n);
  const challenge = decodeChallenge(issued.bytes);
  let response: Uint8Array;
  if (params.type === "compute") {
    const work = startCompute(device.signer, challenge, behaviour);
    const opened = challenger.onCommit(work.commit, 50n);
    if (!opened.ok) throw opened.error;
    response = finishCompute(device.signer, work, opened.value.salt);
  } else if (params.type === "storage")
    response = answerStorage(device.signer, challenge, device.storage, behaviour);
  else if (params.type === "bandwidth") {
    const payload = challenger.payload(issued.challengeId, 10n);
    if (!payload) throw new Error("no payload");
    response = answerBandwidth(device.signer, challenge, payload);
  } else response = answerLatency(device.signer, challenge);
  return challenger.onResponse(response, responseAtMs);
}

function expectFraud(v: Verdict, reason: FraudReasonName) {
  expect(v.status).toBe("fraud");
  if (v.status !== "fraud") return;
  expect(v.reason).toBe(reason);
  expect(v.reasonCode).toBe(FraudReason[reason]);
  const fast = verifyEvidence(v.evidence, { networkId: NET, judges: "unchecked" }, nodeVerify);
  const portable = verifyEvidencePortable(v.evidence, { networkId: NET, judges: "unchecked" });
  expect(fast.ok).toBe(true);
  expect(portable).toEqual(fast);
  if (fast.ok) {
    expect(fast.value.reason).toBe(reason);
    expect(fast.value.evidenceHash).toEqual(v.evidenceHash);
    expect(fast.value.deviceId).toEqual(v.deviceId);
  }
}

describe("Challenger", () => {
  const challenger = testChallenger("node-a", NET);

  it("passes honest devices on every challenge type, many seeds", () => {
    for (let s = 0; s < 12; s++) {
      for (const params of [
        { type: "compute", n: 64, samples: 44 },
        { type: "storage", samples: 8 },
        { type: "bandwidth", bytes: 4096 },
        { type: "latency" },
      ] as IssueParams[]) {
        const v = exchange(challenger, `honest-${s}`, params);
        expect(v.status, `${params.type} seed ${s}`).toBe("pass");
      }
    }
    expect(challenger.pendingCount).toBe(0);
  });

  it("credits compute work by size", () => {
    const v = exchange(challenger, "honest-big", { type: "compute", n: 128, samples: 44 });
    expect(v.status === "pass" && v.workUnits).toBe(8n);
  });

  it("catches a wrong compute result with evidence", () => {
    for (let s = 0; s < 5; s++)
      expectFraud(
        exchange(challenger, `wrong-${s}`, { type: "compute", n: 64, samples: 44 }, { wrongResult: true }),
        "computeWrongRow",
      );
  });

  it("catches partial compute (10% of rows skipped) with evidence", () => {
    // Detection is probabilistic (each try misses the skipped rows with p ~ 0.005): a seeded
    // challenger makes the ten tries the same every run, so the test cannot flake.
    let counter = 0;
    const seeded = testChallenger("node-partial", NET, (n) => {
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += 32)
        out.set(keccak256(u32be(counter++)).subarray(0, Math.min(32, n - o)), o);
      return out;
    });
    for (let s = 0; s < 10; s++) {
      const v = exchange(
        seeded,
        `partial-${s}`,
        { type: "compute", n: 128, samples: 44 },
        { skipRow: (i) => i % 10 === 3 },
      );
      expectFraud(v, "computeWrongRow");
    }
  });

  it("catches lost storage chunks with evidence", () => {
    expectFraud(
      exchange(challenger, "lost", { type: "storage", samples: 16 }, { lostChunk: (i) => i % 2 === 0 }),
      "storageMissing",
    );
  });

  it("marks answers past the deadline late (not slashable) and silence missed", () => {
    const late = exchange(challenger, "slow", { type: "latency" }, {}, 5_000n);
    expect(late.status).toBe("late");
    const device = testDevice("offline", NET);
    challenger.issue({
      deviceId: device.signer.publicKey,
      epoch: EPOCH,
      beacon,
      params: { type: "latency" },
      nowMs: 0n,
      ttlMs: 10,
    });
    const missed = challenger.expire(100n);
    expect(missed.map((v) => v.status)).toEqual(["missed"]);
  });

  it("rejects a response signed by another key (forged) without slashing", () => {
    const device = testDevice("victim", NET);
    const forger = testDevice("forger", NET);
    const issued = challenger.issue({
      deviceId: device.signer.publicKey,
      epoch: EPOCH,
      beacon,
      params: { type: "latency" },
      nowMs: 0n,
    });
    const forged = answerLatency(forger.signer, decodeChallenge(issued.bytes));
    const v = challenger.onResponse(forged, 5n);
    expect(v.status).toBe("rejected");
    if (v.status === "rejected") expect(v.error.code).toBe("WRONG_DEVICE");
    // The real device can still answer.
    expect(
      challenger.onResponse(answerLatency(device.signer, decodeChallenge(issued.bytes)), 6n).status,
    ).toBe("pass");
  });

  it("evidence does not verify for another network, nor once tampered", () => {
    const v = exchange(challenger, "tamper", { type: "compute", n: 64, samples: 44 }, { wrongResult: true });
    if (v.status !== "fraud") throw new Error("expected fraud");
    const other = verifyEvidence(v.evidence, { networkId: NET + 1n, judges: "unchecked" }, nodeVerify);
    expect(other.ok || other.error.code).toBe("WRONG_NETWORK");
    const t = v.evidence.slice();
    t[t.length - 100]! ^= 1;
    const r = verifyEvidence(t, { networkId: NET, judges: "unchecked" }, nodeVerify);
    expect(r.ok).toBe(false);
  });
});

describe("Challenger on hostile input", () => {
  it("property: commit and response handlers never throw on arbitrary bytes", () => {
    const challenger = testChallenger("hostile-node", NET);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(challenger.onCommit(bytes, 0n).ok).toBe(false);
        expect(challenger.onResponse(bytes, 0n).status).toBe("rejected");
      }),
      { numRuns: 500 },
    );
  });
});
