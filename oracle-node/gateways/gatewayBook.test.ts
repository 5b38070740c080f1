import { describe, expect, it } from "vitest";
import { decodeGatewayRecord, nodeVerify, signGatewayRecord } from "../../attestation/index";
import { keyFromLabel } from "../../attestation/testing";
import { GatewayBook } from "./gatewayBook";

const key = keyFromLabel("book-node");
const record = (signer: number, issuedAtMs: number, url = "http://n/device") => {
  const r = decodeGatewayRecord(
    signGatewayRecord(
      {
        chainId: 1n,
        registry: new Uint8Array(20),
        signer: new Uint8Array(20).fill(signer),
        issuedAtMs: BigInt(issuedAtMs),
        urls: [url],
      },
      key,
    ),
    nodeVerify,
  );
  if (!r.ok) throw r.error;
  return r.value;
};

describe("GatewayBook", () => {
  it("keeps one record per signer, the newest; an older or equal one does not replace it", () => {
    const book = new GatewayBook();
    expect(book.offer(record(1, 100, "http://old/device"))).toBe(true);
    expect(book.offer(record(1, 200, "http://new/device"))).toBe(true);
    expect(book.offer(record(1, 150, "http://replayed/device"))).toBe(false);
    expect(book.offer(record(1, 200, "http://same-time/device"))).toBe(false);
    expect(book.size).toBe(1);
    expect(book.get(new Uint8Array(20).fill(1))?.urls).toEqual(["http://new/device"]);
  });

  it("is bounded, and drops records the caller no longer accepts (signer exited, stale)", () => {
    const book = new GatewayBook(3);
    for (let i = 1; i <= 5; i++) book.offer(record(i, 100));
    expect(book.size).toBe(3);
    // A held signer still updates at the cap.
    expect(book.offer(record(2, 300))).toBe(true);
    expect(book.list((r) => r.signer[0] !== 1).map((r) => r.signer[0])).toEqual([2, 3]);
    expect(book.size).toBe(2);
    expect(book.offer(record(4, 100))).toBe(true);
  });
});
