import fc from "fast-check";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { decodeObservation, encodeObservation } from "./observationCodec";
import type { ObservationSet } from "./types";

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const base: ObservationSet = {
  networkId: 3n,
  epoch: 9n,
  observer: "0x00000000000000000000000000000000000000Aa",
  devices: [
    { deviceId: id(1), uptimeBps: 9_000, work: 12n },
    { deviceId: id(2), uptimeBps: 0, work: 0n, fraud: { reason: 2, evidence: new Uint8Array([1, 2, 3]) } },
  ],
};

describe("observation codec", () => {
  it("round-trips", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 1e6 }), { maxLength: 30 }),
        fc.nat(10_000),
        (ids, up) => {
          const o: ObservationSet = {
            ...base,
            devices: [...ids]
              .sort((a, b) => a - b)
              .map((i) => ({ deviceId: id(i), uptimeBps: up, work: BigInt(i) })),
          };
          const back = decodeObservation(encodeObservation(o));
          expect(back.devices).toEqual(o.devices);
          expect(back.observer.toLowerCase()).toBe(o.observer.toLowerCase());
        },
      ),
    );
    expect(decodeObservation(encodeObservation(base)).devices[1]?.fraud?.reason).toBe(2);
  });

  it("rejects non-canonical or hostile bytes with a typed error", () => {
    const good = encodeObservation(base);
    const bad = [
      good.subarray(0, 20), // truncated
      new Uint8Array([...good, 0]), // trailing byte
      Object.assign(good.slice(), { 0: 2 }), // unknown version
      (() => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(37, 1_000_000); // count larger than the message
        return b;
      })(),
      (() => {
        const b = good.slice();
        new DataView(b.buffer).setUint16(41 + 32, 10_001); // uptime out of range
        return b;
      })(),
    ];
    for (const b of bad)
      expect(() => decodeObservation(b)).toThrow(
        expect.objectContaining({ code: "AGREEMENT_BAD_OBSERVATION" }),
      );
    expect(() => encodeObservation({ ...base, devices: [...base.devices].reverse() })).toThrow(/sorted/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        try {
          decodeObservation(junk);
        } catch (err) {
          expect((err as { code?: string }).code).toBe("AGREEMENT_BAD_OBSERVATION");
        }
      }),
    );
  });
});
