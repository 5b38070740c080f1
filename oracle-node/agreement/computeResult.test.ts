import fc from "fast-check";
import type { Address, Hex } from "viem";
import { keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { computeResult, observationsCommitment, observersNeeded } from "./computeResult";
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
    // The only unslashed device of three eligible: the epoch pays a third of the budget (q/N), the
    // two cheats' thirds stay in the network's budget instead of going to it.
    expect(l1?.reward).toBe(333n);
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
    // Device 2 had stake at risk (eligible) but does not qualify: 2 of 3 qualify, 1000 × 2/3 paid.
    expect(result.lines.map((l) => [l.reward, l.slash])).toEqual([
      [333n, 0n],
      [0n, 50n],
      [333n, 0n],
    ]);
    expect(result.slashes).toEqual([]);
  });

  it("pays q/N of the budget when few devices qualify, so a device gains nothing when others miss", async () => {
    // Only device 1 is seen up: it gets a third of the budget, not all of it.
    const lonely = [A, B, C].map((o) => obs(o, [10_000, 0, 0]));
    const alone = await computeResult(ctx, lonely, verify);
    expect(alone.result.lines.map((l) => l.reward)).toEqual([333n, 0n, 0n]);
    expect(alone.result.totalReward).toBe(333n);
    // With all three up at the same weight, it earns the same third.
    const all = await computeResult(
      ctx,
      [A, B, C].map((o) => obs(o, [10_000, 10_000, 10_000])),
      verify,
    );
    expect(all.result.lines.map((l) => l.reward)).toEqual([333n, 333n, 333n]);
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

describe("computeResult: the median over a majority of a device's observers", () => {
  const U64_MAX = (1n << 64n) - 1n;
  const observer = (i: number) => `0x${(i + 1).toString(16).padStart(40, "0")}` as Address;
  interface Entry {
    uptimeBps: number;
    work: bigint;
  }

  /** The line of one device watched by `entries.length` observers; an undefined entry is not in S. */
  async function lineOf(entries: (Entry | undefined)[]) {
    const k = entries.length;
    const oracles = entries.map((_, i) => ({ signer: observer(i), peerId: `p${i}` }));
    const one: EpochContext = {
      ...ctx,
      k,
      oracles,
      devices: [{ deviceId: dev(1), owner: D, stake: 50n }],
      assignment: new Map([[dev(1), oracles.map((o) => o.signer)]]),
    };
    const used = entries.flatMap((e, i) => {
      if (!e) return [];
      const observation: ObservationSet = {
        networkId: 1n,
        epoch: 4n,
        observer: observer(i),
        devices: [{ deviceId: dev(1), ...e }],
      };
      return [{ observation, hash: observationHash(encodeObservation(observation)) }];
    });
    const { result } = await computeResult(one, used, verify);
    return result.lines[0]!;
  }

  const entry = fc.record({
    uptimeBps: fc.integer({ min: 0, max: 10_000 }),
    work: fc.bigInt({ min: 0n, max: U64_MAX }),
  });
  /** k observers with honest entries, one liar among them, and which observers are missing from S. */
  const scenario = (minK: number, maxMissing: (k: number) => number) =>
    fc.integer({ min: minK, max: 7 }).chain((k) =>
      fc.record({
        honest: fc.array(entry, { minLength: k, maxLength: k }),
        liar: fc.integer({ min: 0, max: k - 1 }),
        lie: entry,
        missing: fc.shuffledSubarray(
          Array.from({ length: k }, (_, i) => i),
          { maxLength: maxMissing(k) },
        ),
      }),
    );

  it("no single liar raises a device above its honest entries, whichever observers are missing (k = 2..7)", async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario(2, (k) => k - 1),
        async ({ honest, liar, lie, missing }) => {
          const entries = honest.map((h, i) => (missing.includes(i) ? undefined : i === liar ? lie : h));
          const line = await lineOf(entries);
          const present = entries.filter((e) => e !== undefined).length;
          const honestIn = honest.filter((_, i) => i !== liar && !missing.includes(i));
          if (present < observersNeeded(honest.length)) {
            expect([line.uptimeBps, line.work]).toEqual([0, 0n]);
            return;
          }
          expect(line.uptimeBps).toBeLessThanOrEqual(Math.max(...honestIn.map((h) => h.uptimeBps)));
          expect(honestIn.some((h) => h.work >= line.work)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("no single liar moves a device out of its honest range (so cannot zero it) with three or more of its observers in S (k = 3 all there, k >= 4 one missing)", async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario(3, (k) => Math.min(1, k - 3)),
        async ({ honest, liar, lie, missing }) => {
          const entries = honest.map((h, i) => (missing.includes(i) ? undefined : i === liar ? lie : h));
          const line = await lineOf(entries);
          const honestIn = honest.filter((_, i) => i !== liar && !missing.includes(i));
          const ups = honestIn.map((h) => h.uptimeBps);
          const works = honestIn.map((h) => h.work);
          expect(line.uptimeBps).toBeGreaterThanOrEqual(Math.min(...ups));
          expect(line.uptimeBps).toBeLessThanOrEqual(Math.max(...ups));
          expect(works.some((w) => w <= line.work) && works.some((w) => w >= line.work)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("k = 3 with one observer missing: a liar can lower the device, never raise it (no rule can tell which of two entries lies)", async () => {
    const honest = { uptimeBps: 8_000, work: 500n };
    // (honest 8000, liar 0) and (honest 0, liar 8000) are the same two entries: the rule takes the lower.
    expect(await lineOf([honest, { uptimeBps: 0, work: 0n }, undefined])).toMatchObject({
      uptimeBps: 0,
      work: 0n,
    });
    expect(await lineOf([honest, { uptimeBps: 10_000, work: U64_MAX }, undefined])).toMatchObject(honest);
  });

  it("a device with fewer than a majority of its observers in S gets nothing: a lone entry may be a liar's", async () => {
    const lie = { uptimeBps: 10_000, work: U64_MAX };
    expect(await lineOf([lie, undefined, undefined])).toMatchObject({ uptimeBps: 0, work: 0n });
    expect(await lineOf([lie, { uptimeBps: 9_000, work: 7n }, undefined, undefined])).toMatchObject({
      uptimeBps: 0,
      work: 0n,
    });
    // k = 1: the one observer is the majority.
    expect(await lineOf([{ uptimeBps: 9_000, work: 7n }])).toMatchObject({ uptimeBps: 9_000, work: 7n });
  });
});

describe("computeResult: the uptime SLA", () => {
  const sla = {
    windowEpochs: 3,
    bonusThresholdBps: 9_990,
    bonusBps: 1_000,
    penaltyThresholdBps: 9_000,
    penaltyBps: 5_000,
  };
  /** Devices 1..3 at 10000, 10000 and 9500 this epoch; A, B and C agree. */
  const used = () => [A, B, C].map((o) => obs(o, [10_000, 10_000, 9_500]));
  const withHistory = (devices: [number, { sumBps: number; lines: number }][]) => ({
    ...ctx,
    uptime: {
      sla,
      history: { epochs: [2n, 3n], devices: new Map(devices.map(([i, h]) => [dev(i), h])) },
    },
  });

  it("pays the bonus pool's share to a device at 99.9% over a full window, cuts one below 90%, and pays no more than the budget", async () => {
    const { result, sla: outcome } = await computeResult(
      withHistory([
        [1, { sumBps: 20_000, lines: 2 }], // perfect, full window: bonus
        [2, { sumBps: 10_000, lines: 1 }], // perfect but registered one epoch ago: no full window yet
        [3, { sumBps: 15_000, lines: 2 }], // (15000 + 9500) / 3 = 8166 < 9000: penalised
      ]),
      used(),
      verify,
    );
    // Weights 10000·10, 10000·10, 9500·10; q = N = 3. Base = 900 of the 1000 budget, pool = 100.
    const share = (amount: bigint, w: bigint) => (amount * 3n * w) / (3n * 295_000n);
    const [l1, l2, l3] = result.lines;
    expect(l1!.reward).toBe(share(900n, 100_000n) + share(100n, 100_000n));
    expect(l2!.reward).toBe(share(900n, 100_000n));
    const base3 = share(900n, 95_000n);
    expect(l3!.reward).toBe(base3 - (base3 * 5_000n) / 10_000n);
    expect(outcome).toEqual({
      bonused: 1,
      bonusPaid: share(100n, 100_000n),
      penalized: 1,
      withheld: (base3 * 5_000n) / 10_000n,
    });
    expect(result.totalReward).toBe(l1!.reward + l2!.reward + l3!.reward);
    expect(result.totalReward).toBeLessThanOrEqual(ctx.budget);
  });

  it("judges a device with no history on this epoch alone: no bonus, a penalty if it is below the threshold", async () => {
    const { result } = await computeResult(
      withHistory([]),
      [A, B, C].map((o) => obs(o, [10_000, 10_000, 8_000])),
      verify,
    );
    const plain = await computeResult(
      ctx,
      [A, B, C].map((o) => obs(o, [10_000, 10_000, 8_000])),
      verify,
    );
    const base = (r: bigint) => (r * 9_000n) / 10_000n; // 900 of 1000 is the base budget
    expect(result.lines[0]!.reward).toBe((1_000n * 900n * 3n * 100_000n) / (3n * 280_000n * 1_000n));
    expect(result.lines[2]!.reward).toBeLessThan(base(plain.result.lines[2]!.reward));
  });

  it("is the plain formula when the network has no SLA (window 0), whatever the history says", async () => {
    const off = { ...withHistory([[1, { sumBps: 20_000, lines: 2 }]]) };
    off.uptime = { ...off.uptime, sla: { ...sla, windowEpochs: 0 } };
    const a = await computeResult(off, used(), verify);
    const b = await computeResult(ctx, used(), verify);
    expect(a.result.resultRoot).toBe(b.result.resultRoot);
    expect(a.sla).toEqual({ bonused: 0, bonusPaid: 0n, penalized: 0, withheld: 0n });
  });

  it("never pays a slashed device a bonus, however perfect its history", async () => {
    const { result, sla: outcome } = await computeResult(
      withHistory([[2, { sumBps: 20_000, lines: 2 }]]),
      [
        obs(A, [10_000, 10_000, 9_500], 2),
        obs(B, [10_000, 10_000, 9_500], 2),
        obs(C, [10_000, 10_000, 9_500]),
      ],
      verify,
    );
    expect(result.lines[1]!.slash).toBe(50n);
    expect(result.lines[1]!.reward).toBe(0n);
    expect(outcome.bonused).toBe(0);
  });

  it("keeps the total within the budget for any history and uptimes", async () => {
    const hist = fc.record({
      sumBps: fc.integer({ min: 0, max: 20_000 }),
      lines: fc.integer({ min: 0, max: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 3, maxLength: 3 }),
        fc.array(hist, { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 0, max: 10_000 }),
        async (ups, hs, bonusBps) => {
          const c = withHistory(hs.map((h, i) => [i + 1, h]));
          c.uptime = { ...c.uptime, sla: { ...sla, bonusBps } };
          const { result } = await computeResult(
            c,
            [A, B, C].map((o) => obs(o, ups)),
            verify,
          );
          expect(result.totalReward).toBeLessThanOrEqual(ctx.budget);
        },
      ),
      { numRuns: 200 },
    );
  });
});
