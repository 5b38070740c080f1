import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../constants";
import { nobleVerify } from "../crypto/noble";
import { nodeSigner, nodeVerify } from "../crypto/node";
import { keyFromLabel, testCapabilities, testDevice } from "../testing";
import type { ChallengeParams } from "./challenge";
import { decodeMessage, verifyMessage } from "./message";
import { signMessage } from "./sign";

const NET = 1n;
const device = keyFromLabel("device");
const TICKET = new Uint8Array(32).fill(9);
const heartbeat = (seq: bigint, epoch = 5n, networkId = NET) =>
  signMessage(
    "heartbeat",
    { networkId, epoch },
    { seq, timeMs: 1_700_000_000_000n, ticket: TICKET, loadBps: 2_500, capabilities: testCapabilities },
    device,
  );

describe("message encoding", () => {
  it("round-trips every kind and verifies on both paths", () => {
    const hb = heartbeat(1n);
    for (const verify of [nodeVerify, nobleVerify]) {
      const m = verifyMessage(
        hb,
        { kind: "heartbeat", networkId: NET, epoch: 5n, signer: device.publicKey },
        verify,
      );
      expect(m.ok).toBe(true);
      if (m.ok) {
        expect(m.value.body.seq).toBe(1n);
        expect(m.value.body.ticket).toEqual(TICKET);
        expect(m.value.body.capabilities).toEqual(testCapabilities);
      }
    }
    const reg = testDevice("d", NET).registration;
    expect(decodeMessage(reg.bytes).ok).toBe(true);
  });

  it("rejects replays across kinds, networks and epochs with the failed check", () => {
    const hb = heartbeat(1n);
    const code = (r: ReturnType<typeof verifyMessage>) => (r.ok ? "ok" : r.error.code);
    expect(code(verifyMessage(hb, { kind: "registration", networkId: NET }, nodeVerify))).toBe("WRONG_KIND");
    expect(code(verifyMessage(hb, { kind: "heartbeat", networkId: 2n, epoch: 5n }, nodeVerify))).toBe(
      "WRONG_NETWORK",
    );
    expect(code(verifyMessage(hb, { kind: "heartbeat", networkId: NET, epoch: 6n }, nodeVerify))).toBe(
      "WRONG_EPOCH",
    );
    // Rewriting the epoch field breaks the signature: the context is signed.
    const moved = hb.slice();
    moved[6 + 8 + 7]! ^= 1; // last byte of epoch
    expect(code(verifyMessage(moved, { kind: "heartbeat", networkId: NET, epoch: 4n }, nodeVerify))).toBe(
      "BAD_SIGNATURE",
    );
  });

  it("names the failed check on bad input", () => {
    const hb = heartbeat(1n);
    const code = (b: Uint8Array) => {
      const r = decodeMessage(b);
      return r.ok ? "ok" : r.error.code;
    };
    expect(code(hb.subarray(0, 50))).toBe("TRUNCATED");
    expect(code(hb.subarray(0, hb.length - 1))).toBe("TRUNCATED");
    const extra = new Uint8Array(hb.length + 1);
    extra.set(hb);
    expect(code(extra)).toBe("TRAILING_BYTES");
    expect(code(new Uint8Array(MAX_MESSAGE_BYTES + 1))).toBe("OVERSIZED");
    const magic = hb.slice();
    magic[0] = 0;
    expect(code(magic)).toBe("BAD_MAGIC");
    const version = hb.slice();
    version[4] = 9;
    expect(code(version)).toBe("UNSUPPORTED_VERSION");
    const kind = hb.slice();
    kind[5] = 99;
    expect(code(kind)).toBe("UNKNOWN_KIND");
    const sig = hb.slice();
    sig[sig.length - 1]! ^= 0x80;
    const v = verifyMessage(sig, { kind: "heartbeat", networkId: NET, epoch: 5n }, nodeVerify);
    expect(v.ok || v.error.code).toBe("BAD_SIGNATURE");
    // loadBps out of range, re-signed: a MALFORMED body, not a crash.
    const bad = signMessage(
      "heartbeat",
      { networkId: NET, epoch: 5n },
      { seq: 1n, timeMs: 0n, ticket: TICKET, loadBps: 20_000, capabilities: testCapabilities },
      device,
    );
    expect(code(bad)).toBe("MALFORMED");
  });

  it("challenge params carry what the answer is judged against, and refuse values outside their domain", () => {
    const node = keyFromLabel("node");
    const challenge = (params: ChallengeParams) =>
      signMessage(
        "challenge",
        { networkId: NET, epoch: 5n },
        {
          deviceId: device.publicKey,
          beacon: new Uint8Array(32),
          nonce: new Uint8Array(32),
          saltHash: new Uint8Array(32),
          issuedAtMs: 1n,
          deadlineMs: 2n,
          params,
        },
        node,
      );
    const decoded = (b: Uint8Array) => {
      const r = decodeMessage(b);
      return r.ok ? (r.value.kind === "challenge" ? r.value.body.params : null) : r.error.code;
    };
    const storage = {
      type: "storage" as const,
      samples: 8,
      storageRoot: new Uint8Array(32).fill(3),
      storageChunks: 64,
      storageChunkBytes: 1024,
    };
    const bandwidth = { type: "bandwidth" as const, bytes: 4096, payloadHash: new Uint8Array(32).fill(4) };
    expect(decoded(challenge(storage))).toEqual(storage);
    expect(decoded(challenge(bandwidth))).toEqual(bandwidth);
    expect(decoded(challenge({ ...storage, storageChunks: 0 }))).toBe("MALFORMED");
    expect(decoded(challenge({ ...storage, storageChunkBytes: 0 }))).toBe("MALFORMED");
    expect(decoded(challenge({ ...storage, storageChunkBytes: 16 * 1024 + 1 }))).toBe("OVERSIZED");
    expect(decoded(challenge({ ...storage, samples: 17 }))).toBe("MALFORMED");
    expect(decoded(challenge({ ...bandwidth, bytes: 0 }))).toBe("OVERSIZED");
  });

  it("property: decoding never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = decodeMessage(bytes);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 2_000 },
    );
  });

  it("property: any single-byte change to a signed message fails verification on both paths, identically", () => {
    const hb = heartbeat(42n);
    fc.assert(
      fc.property(fc.nat({ max: hb.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const m = hb.slice();
        m[i]! ^= x;
        const expect_ = { kind: "heartbeat" as const, networkId: NET, epoch: 5n };
        const fast = verifyMessage(m, expect_, nodeVerify);
        const portable = verifyMessage(m, expect_, nobleVerify);
        expect(fast.ok).toBe(false);
        expect(portable.ok ? "ok" : portable.error.code).toBe(fast.ok ? "ok" : fast.error.code);
      }),
      { numRuns: 300 },
    );
  });

  it("property: truncations and valid-prefix garbage are rejected, never thrown", () => {
    const hb = heartbeat(7n);
    fc.assert(
      fc.property(fc.nat({ max: hb.length - 1 }), fc.uint8Array({ maxLength: 64 }), (cut, tail) => {
        const b = new Uint8Array(cut + tail.length);
        b.set(hb.subarray(0, cut));
        b.set(tail, cut);
        // Cutting the last byte and appending that same byte rebuilds the original: not garbage
        // (fast-check favours small bytes, and this message's last byte is 3).
        fc.pre(Buffer.compare(b, hb) !== 0);
        const r = verifyMessage(b, { kind: "heartbeat", networkId: NET, epoch: 5n }, nodeVerify);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe("test vectors (for implementations in other languages)", () => {
  it("heartbeat bytes for a fixed key and fields", () => {
    // Key: Ed25519 secret seed = 32 bytes of 0x01. Ed25519 signatures are deterministic.
    const signer = nodeSigner(new Uint8Array(32).fill(1));
    const bytes = signMessage(
      "heartbeat",
      { networkId: 1n, epoch: 2n },
      {
        seq: 3n,
        timeMs: 4n,
        ticket: new Uint8Array(32).fill(6),
        loadBps: 5,
        capabilities: {
          gpuModel: "H100",
          gpuMemoryMiB: 81_920,
          storageBytes: 1n << 40n,
          bandwidthClass: 10,
          computeClass: 4,
        },
      },
      signer,
    );
    expect(Buffer.from(bytes).toString("hex")).toMatchInlineSnapshot(
      `"5649474c0102000000000000000100000000000000028a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c00000045000000000000000300000000000000040606060606060606060606060606060606060606060606060606060606060606000504483130300001400000000100000000000a045f63046eb5c1f5d38ec6a848775fc199d8cf4441dc3b32515ca788e6b31a2821d77ffe7d1bdfc8a6d2e083da6afa02a942f2958283a0f60bee036448ff7af704"`,
    );
  });
});
