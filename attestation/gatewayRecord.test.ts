import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "./bytes";
import { nobleVerify } from "./crypto/noble";
import { nodeVerify } from "./crypto/node";
import {
  decodeGatewayRecord,
  GATEWAY_RECORD_MAX_AGE_MS,
  type GatewayRecordExpect,
  MAX_GATEWAY_RECORD_BYTES,
  signGatewayRecord,
  verifyGatewayRecord,
} from "./gatewayRecord";
import { keyFromLabel } from "./testing";

const node = keyFromLabel("gateway-node");
const other = keyFromLabel("gateway-other");
const signer = new Uint8Array(20).fill(0x11);
const otherSigner = new Uint8Array(20).fill(0x22);
const registry = new Uint8Array(20).fill(0xee);
const now = 1_800_000_000_000;
const registered = new Map([
  [bytesToHex(signer), node.publicKey],
  [bytesToHex(otherSigner), other.publicKey],
]);
const expect_: GatewayRecordExpect = {
  chainId: 31337n,
  registry,
  nowMs: now,
  nodeKeyOf: (s) => registered.get(bytesToHex(s)),
};
const sign = (over: Partial<Parameters<typeof signGatewayRecord>[0]> = {}, key = node) =>
  signGatewayRecord(
    {
      chainId: 31337n,
      registry,
      signer,
      issuedAtMs: BigInt(now),
      urls: ["https://node.example:8443/device"],
      ...over,
    },
    key,
  );

describe("gateway records", () => {
  it("verify on both Ed25519 paths and carry what was signed", () => {
    const bytes = sign({ urls: ["http://10.0.0.1:8080/device", "https://[::1]:8443/device"] });
    for (const verify of [nodeVerify, nobleVerify]) {
      const r = verifyGatewayRecord(bytes, expect_, verify);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.urls).toEqual(["http://10.0.0.1:8080/device", "https://[::1]:8443/device"]);
      expect(r.value.signer).toEqual(signer);
      expect(r.value.nodeKey).toEqual(node.publicKey);
      expect(r.value.issuedAtMs).toBe(BigInt(now));
    }
  });

  it("refuse a record signed by another key than the signer's registered peer id (a forged redirect)", () => {
    // A bootstrap node (key `other`, itself registered) names another operator's signer and its own URL.
    const forged = sign({ urls: ["http://attacker.example/device"] }, other);
    expect(verifyGatewayRecord(forged, expect_, nodeVerify)).toMatchObject({
      ok: false,
      error: { code: "UNREGISTERED" },
    });
    // The right node key in the record, but the signature is by another key.
    const bytes = sign();
    const tampered = bytes.slice();
    tampered.set(other.sign(bytes.subarray(0, bytes.length - 64)), bytes.length - 64);
    expect(verifyGatewayRecord(tampered, expect_, nodeVerify)).toMatchObject({
      ok: false,
      error: { code: "BAD_SIGNATURE" },
    });
  });

  it("refuse unregistered signers, other deployments, stale and far-ahead records", () => {
    expect(
      verifyGatewayRecord(sign({ signer: new Uint8Array(20).fill(0x33) }), expect_, nodeVerify),
    ).toMatchObject({ ok: false, error: { code: "UNREGISTERED" } });
    expect(verifyGatewayRecord(sign({ chainId: 1n }), expect_, nodeVerify)).toMatchObject({
      ok: false,
      error: { code: "WRONG_NETWORK" },
    });
    expect(
      verifyGatewayRecord(sign({ registry: new Uint8Array(20).fill(1) }), expect_, nodeVerify),
    ).toMatchObject({ ok: false, error: { code: "WRONG_NETWORK" } });
    const stale = sign({ issuedAtMs: BigInt(now - GATEWAY_RECORD_MAX_AGE_MS - 1) });
    expect(verifyGatewayRecord(stale, expect_, nodeVerify)).toMatchObject({
      ok: false,
      error: { code: "REPLAY" },
    });
    const ahead = sign({ issuedAtMs: BigInt(now + 60 * 60_000) });
    expect(verifyGatewayRecord(ahead, expect_, nodeVerify)).toMatchObject({
      ok: false,
      error: { code: "DEADLINE" },
    });
  });

  it("refuse bad URLs when signing, and records over the size limit", () => {
    for (const url of ["ftp://x/device", "http://u:p@x/device", "not a url", `http://x/${"a".repeat(300)}`])
      expect(() => sign({ urls: [url] })).toThrow(RangeError);
    expect(() => sign({ urls: [] })).toThrow(RangeError);
    expect(() => sign({ urls: Array(5).fill("http://x/device") })).toThrow(RangeError);
    const full = sign({ urls: Array(4).fill(`http://x/${"a".repeat(240)}`) });
    expect(full.length).toBeLessThanOrEqual(MAX_GATEWAY_RECORD_BYTES);
    expect(decodeGatewayRecord(new Uint8Array(MAX_GATEWAY_RECORD_BYTES + 1), nodeVerify)).toMatchObject({
      ok: false,
      error: { code: "OVERSIZED" },
    });
  });

  it("never throw on hostile bytes: truncations, single-byte changes, garbage", () => {
    const bytes = sign();
    for (let i = 0; i < bytes.length; i++) {
      expect(decodeGatewayRecord(bytes.subarray(0, i), nodeVerify).ok).toBe(false);
      const flipped = bytes.slice();
      flipped[i]! ^= 0x01;
      expect(verifyGatewayRecord(flipped, expect_, nodeVerify).ok).toBe(false);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (junk) => {
        expect(verifyGatewayRecord(junk, expect_, nodeVerify).ok).toBe(false);
      }),
    );
  });
});
