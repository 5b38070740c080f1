import type { Address, Hex } from "viem";
import { keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { computeResult, observationsCommitment } from "./computeResult";
import { encodeObservation, observationHash } from "./observationCodec";
import type { EpochContext, ObservationSet } from "./types";

const A = "0x000000000000000000000000000000000000000a" as Address;
const B = "0x000000000000000000000000000000000000000b" as Address;
const C = "0x000000000000000000000000000000000000000c" as Address;
const D = "0x000000000000000000000000000000000000000d" as Address;
const dev = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const ctx: EpochContext = {
  networkId: 1n,
  epoch: 4n,
  chainId: 31337,
  settlement: "0x00000000000000000000000000000000000051e7",
  budget: 1_000n,
  k: 4,
  oracles: [A, B, C, D].map((signer, i) => ({ signer, peerId: `p${i}` })),
  devices: [1, 2, 3].map((i) => ({ deviceId: dev(i), owner: D, stake: 50n })),
  beacon: `0x${"be".repeat(32)}`,
  assignment: new Map([1, 2, 3].map((i) => [dev(i), [A, B, C, D]])),
};
const evidence = new TextEncoder().encode("fraud: proof");

function obs(observer: Address, up: number[], fraudOn?: number): { observation: ObservationSet; hash: Hex } {
  const observation: ObservationSet = {
    networkId: 1n,
    epoch: 4n,
    observer,
    devices: up.map((u, i) => ({
      deviceId: dev(i + 1),
      uptimeBps: u,
      work: 10n,
      ...(fraudOn === i + 1 ? { fraud: { reason: 1, evidence } } : {}),
    })),
  };
  return { observation, hash: observationHash(encodeObservation(observation)) };
}

/** A, B and C each see every device at half uptime. */
const evenObservations = () => [A, B, C].map((o) => obs(o, [5_000, 5_000, 5_000]));

const verify = (_ctx: EpochContext, _id: Hex, v: { evidence: Uint8Array }) =>
  new TextDecoder().decode(v.evidence).startsWith("fraud");

describe("computeResult", () => {
  it("takes medians, ignores a liar, slashes only on verified evidence and splits the budget", async () => {
    const used = [obs(A, [10_000, 5_000, 8_000]), obs(B, [10_000, 5_000, 8_000], 3), obs(C, [0, 0, 0], 2)];
    const { result } = await computeResult(ctx, used, verify);
    const [l1, l2, l3] = result.lines;
    expect(l1?.uptimeBps).toBe(10_000); // median of 10000, 10000, 0
    expect(l2?.uptimeBps).toBe(5_000);
    expect(l2?.slash).toBe(50n); // C's fraud claim carries verifiable evidence
    expect(l3?.slash).toBe(50n);
    expect(result.slashes.map((s) => s.evidenceHash)).toEqual([keccak256(evidence), keccak256(evidence)]);
    expect(l1?.reward).toBe(1_000n); // the only unslashed device takes the budget
    expect(result.totalSlash).toBe(100n);
    expect(result.observationsCommitment).toBe(
      observationsCommitment(used.map((u) => ({ observer: u.observation.observer, hash: u.hash }))),
    );
  });

  it("ignores unverifiable fraud claims and is independent of input order", async () => {
    const bogus = obs(C, [5_000, 5_000, 5_000], 1);
    bogus.observation.devices[0]!.fraud = { reason: 1, evidence: new Uint8Array([1]) };
    const used = [obs(A, [5_000, 5_000, 5_000]), obs(B, [5_000, 5_000, 5_000]), bogus];
    const r1 = await computeResult(ctx, used, verify);
    const r2 = await computeResult(ctx, [...used].reverse(), verify);
    expect(r1.result.resultRoot).toBe(r2.result.resultRoot);
    expect(r1.result.totalSlash).toBe(0n);
    expect(r1.result.totalReward).toBe(999n); // floor(1000/3) x 3: the remainder stays in the budget
  });

  it("pays nothing to a device with no stake at risk (slashed to zero before)", async () => {
    const drained: EpochContext = {
      ...ctx,
      devices: ctx.devices.map((d, i) => (i === 0 ? { ...d, stake: 0n } : d)),
    };
    const { result } = await computeResult(drained, evenObservations(), verify);
    expect(result.lines.map((l) => l.reward)).toEqual([0n, 500n, 500n]);
    expect(result.lines[0]?.slash).toBe(0n);
  });

  it("shows a slash applied on chain mid-epoch and pays nothing for it, without applying it again", async () => {
    const caught: EpochContext = {
      ...ctx,
      devices: ctx.devices.map((d, i) => (i === 1 ? { ...d, slashedInEpoch: 50n } : d)),
    };
    const { result } = await computeResult(caught, evenObservations(), verify);
    expect(result.lines.map((l) => [l.reward, l.slash])).toEqual([
      [500n, 0n],
      [0n, 50n],
      [500n, 0n],
    ]);
    expect(result.slashes).toEqual([]);
  });

  it("rejects two observations by one observer", async () => {
    await expect(computeResult(ctx, [obs(A, [1, 1, 1]), obs(A, [2, 2, 2])], verify)).rejects.toMatchObject({
      code: "AGREEMENT_BAD_OBSERVATION",
    });
  });

  it("rejects an observation that lists a device twice or out of range, whatever the codec let through", async () => {
    const twice = obs(A, [1, 1, 1]);
    twice.observation.devices.push({ ...twice.observation.devices[0]! });
    await expect(computeResult(ctx, [twice, obs(B, [1, 1, 1])], verify)).rejects.toMatchObject({
      code: "AGREEMENT_BAD_OBSERVATION",
      message: expect.stringMatching(/listed twice/),
    });
    for (const bad of [{ uptimeBps: 10_001 }, { uptimeBps: 1.5 }, { work: 1n << 64n }, { work: -1n }]) {
      const o = obs(A, [1, 1, 1]);
      Object.assign(o.observation.devices[1]!, bad);
      await expect(computeResult(ctx, [o], verify)).rejects.toMatchObject({
        code: "AGREEMENT_BAD_OBSERVATION",
        message: expect.stringMatching(/out of range/),
      });
    }
  });

  it("gives a device only its assigned observers' entries, however the ids and addresses are cased", async () => {
    const upper = (a: Address) => `0x${a.slice(2).toUpperCase()}` as Address;
    const mixed: EpochContext = {
      ...ctx,
      devices: ctx.devices.map((d) => ({ ...d, deviceId: `0x${d.deviceId.slice(2).toUpperCase()}` as Hex })),
      // Device 1 is watched by A and B only; C's entry for it must not count.
      assignment: new Map([
        [dev(1), [upper(A), B]],
        [dev(2), [A, B, C, D]],
        [dev(3), [A, B, C, D]],
      ]),
    };
    const { result } = await computeResult(
      mixed,
      [obs(A, [1_000, 1_000, 1_000]), obs(B, [3_000, 3_000, 3_000]), obs(C, [9_000, 9_000, 9_000])],
      verify,
    );
    expect(result.lines.map((l) => [l.deviceId, l.uptimeBps])).toEqual([
      [dev(1), 1_000],
      [dev(2), 3_000],
      [dev(3), 3_000],
    ]);
  });
});
