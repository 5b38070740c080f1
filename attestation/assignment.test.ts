import { describe, expect, it } from "vitest";
import { assignedOracles, challengerKeyOfPeerId } from "./assignment";
import { bytesToHex, hexToBytes } from "./bytes";
import { keccak256 } from "./hash";
import { keyFromLabel } from "./testing";

const addr = (i: number) => keccak256(Uint8Array.of(i)).slice(12);

describe("assignedOracles (the portable rendezvous rule)", () => {
  const oracles = Array.from({ length: 7 }, (_, i) => ({ signer: addr(i), i }));
  const beacon = keccak256(new TextEncoder().encode("beacon"));

  it("takes the k highest keccak256(beacon ‖ deviceId ‖ signer), best first", () => {
    const device = keyFromLabel("device").publicKey;
    const got = assignedOracles(beacon, device, oracles, 3);
    const byScore = [...oracles].sort((a, b) =>
      bytesToHex(keccak256(beacon, device, b.signer)).localeCompare(
        bytesToHex(keccak256(beacon, device, a.signer)),
      ),
    );
    expect(got.map((o) => o.i)).toEqual(byScore.slice(0, 3).map((o) => o.i));
  });

  it("does not depend on the order oracles are listed in, and caps k at n", () => {
    const device = keyFromLabel("device-2").publicKey;
    const forward = assignedOracles(beacon, device, oracles, 4).map((o) => o.i);
    expect(assignedOracles(beacon, device, [...oracles].reverse(), 4).map((o) => o.i)).toEqual(forward);
    expect(assignedOracles(beacon, device, oracles, 99)).toHaveLength(7);
    expect(assignedOracles(beacon, device, oracles, 0)).toEqual([]);
  });
});

describe("challengerKeyOfPeerId", () => {
  it("reads the Ed25519 key out of an identity-multihash peer id, and nothing else", () => {
    const key = keyFromLabel("oracle").publicKey;
    const peerId = hexToBytes(`002408011220${bytesToHex(key)}`);
    expect(challengerKeyOfPeerId(peerId)).toEqual(key);
    // A sha256 multihash (RSA/secp256k1 peer ids) carries no key; truncated or padded bytes neither.
    expect(challengerKeyOfPeerId(hexToBytes(`1220${bytesToHex(key)}`))).toBeUndefined();
    expect(challengerKeyOfPeerId(peerId.subarray(0, 37))).toBeUndefined();
    expect(challengerKeyOfPeerId(Uint8Array.of(...peerId, 0))).toBeUndefined();
  });
});
