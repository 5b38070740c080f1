import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import fc from "fast-check";
import {
  type Address,
  bytesToHex,
  encodePacked,
  getAddress,
  type Hex,
  hexToBigInt,
  hexToBytes,
  keccak256,
} from "viem";
import { describe, expect, it } from "vitest";
import { assignedOracles, challengerKeyOfPeerId } from "../../attestation/index";
import { assignDevice, assignmentScore, createAssigner } from "./assignDevice";
import { assignNetwork, devicesForNode } from "./assignNetwork";
import { AssignmentError } from "./errors";

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => bytesToHex(b));
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(bytesToHex(b)));
const nodeSet = (min: number, max: number) =>
  fc.uniqueArray(address, { minLength: min, maxLength: max, selector: (a) => a.toLowerCase() });

describe("assignmentScore", () => {
  it("is uint256(keccak256(abi.encodePacked(beacon, deviceId, signer))) as docs/interfaces.md pins", () => {
    fc.assert(
      fc.property(bytes32, bytes32, address, (beacon, deviceId, node) => {
        const expected = hexToBigInt(
          keccak256(encodePacked(["bytes32", "bytes32", "address"], [beacon, deviceId, node])),
        );
        expect(assignmentScore(beacon, deviceId, node)).toBe(expected);
      }),
    );
  });
});

describe("assignDevice", () => {
  it("is deterministic and independent of the order nodes are listed in", () => {
    fc.assert(
      fc.property(
        bytes32,
        bytes32,
        nodeSet(1, 12),
        fc.integer({ min: 1, max: 5 }),
        (beacon, deviceId, nodes, k) => {
          const a = assignDevice({ beacon, deviceId, nodes, k });
          const b = assignDevice({ beacon, deviceId, nodes: [...nodes].reverse(), k });
          expect(b).toEqual(a);
        },
      ),
    );
  });

  it("picks min(k, n) distinct registered nodes, highest score first", () => {
    fc.assert(
      fc.property(
        bytes32,
        bytes32,
        nodeSet(1, 12),
        fc.integer({ min: 1, max: 15 }),
        (beacon, deviceId, nodes, k) => {
          const chosen = assignDevice({ beacon, deviceId, nodes, k });
          expect(chosen).toHaveLength(Math.min(k, nodes.length));
          expect(new Set(chosen).size).toBe(chosen.length);
          for (const c of chosen) expect(nodes).toContain(c);
          const scores = chosen.map((c) => assignmentScore(beacon, deviceId, c));
          for (let i = 1; i < scores.length; i++) expect(scores[i - 1]! >= scores[i]!).toBe(true);
          // Every unchosen node scores no higher than the last chosen one.
          const last = scores.at(-1)!;
          for (const n of nodes.filter((n) => !chosen.includes(n)))
            expect(assignmentScore(beacon, deviceId, n) <= last).toBe(true);
        },
      ),
    );
  });

  it("moves only the departed node's devices when a node leaves (minimal reshuffling)", () => {
    fc.assert(
      fc.property(
        bytes32,
        fc.array(bytes32, { minLength: 1, maxLength: 40 }),
        nodeSet(2, 10),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (beacon, deviceIds, nodes, k, pick) => {
          const gone = nodes[pick % nodes.length]!;
          const remaining = nodes.filter((n) => n !== gone);
          const before = assignNetwork({ beacon, deviceIds, nodes, k });
          const after = assignNetwork({ beacon, deviceIds, nodes: remaining, k });
          for (const id of deviceIds) {
            const was = before.get(id)!;
            const now = after.get(id)!;
            if (!was.includes(gone)) expect(now).toEqual(was);
            else {
              // The survivors keep the device; at most one new node joins in the departed node's place.
              const kept = was.filter((n) => n !== gone);
              expect(now.filter((n) => kept.includes(n))).toEqual(kept);
              expect(now.filter((n) => !kept.includes(n)).length).toBeLessThanOrEqual(1);
            }
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("balances load: each node gets about k/n of the devices", () => {
    fc.assert(
      fc.property(bytes32, nodeSet(4, 8), fc.integer({ min: 1, max: 3 }), (beacon, nodes, k) => {
        const devices = 2_000;
        const deviceIds = Array.from({ length: devices }, (_, i) =>
          keccak256(encodePacked(["bytes32", "uint256"], [beacon, BigInt(i)])),
        );
        const load = new Map<Address, number>(nodes.map((n) => [n, 0]));
        for (const chosen of assignNetwork({ beacon, deviceIds, nodes, k }).values())
          for (const n of chosen) load.set(n, load.get(n)! + 1);
        const expected = (devices * k) / nodes.length;
        // Binomial(2000, k/n) has a standard deviation below sqrt(expected) ≤ 39; 6σ keeps this from flaking.
        for (const count of load.values())
          expect(Math.abs(count - expected)).toBeLessThan(6 * Math.sqrt(expected));
      }),
      { numRuns: 10 },
    );
  });

  it("devicesForNode is the inverse view of assignNetwork", () => {
    fc.assert(
      fc.property(
        bytes32,
        fc.array(bytes32, { maxLength: 30 }),
        nodeSet(1, 6),
        fc.integer({ min: 1, max: 3 }),
        (beacon, deviceIds, nodes, k) => {
          const all = assignNetwork({ beacon, deviceIds, nodes, k });
          for (const node of nodes) {
            const mine = devicesForNode({ beacon, deviceIds, nodes, k, node: node.toLowerCase() as Address });
            expect(mine).toEqual(deviceIds.filter((id) => all.get(id)!.includes(node)));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("rejects malformed input with a typed error", () => {
    const beacon = `0x${"11".repeat(32)}` as Hex;
    const nodes = [`0x${"22".repeat(20)}`] as Address[];
    expect(() => assignDevice({ beacon: "0x1234", deviceId: beacon, nodes, k: 1 })).toThrow(AssignmentError);
    expect(() => assignDevice({ beacon, deviceId: "0xzz" as Hex, nodes, k: 1 })).toThrow(
      /deviceId must be 32 bytes/,
    );
    expect(() => createAssigner({ beacon, nodes, k: 0 })).toThrow(/k must be a positive integer/);
    expect(() => createAssigner({ beacon, nodes: ["0x1234" as Address], k: 1 })).toThrow(
      /node must be an address/,
    );
    expect(() =>
      createAssigner({ beacon, nodes: [...nodes, `0x${"22".repeat(20).toUpperCase()}` as Address], k: 1 }),
    ).toThrow(/duplicate node/);
  });
});

describe("the portable rule (attestation's assignedOracles) that verifiers and devices recompute", () => {
  it("gives the node's assignment for any beacon, device and node set", () => {
    fc.assert(
      fc.property(
        bytes32,
        bytes32,
        nodeSet(1, 12),
        fc.integer({ min: 1, max: 12 }),
        (beacon, deviceId, nodes, k) => {
          const portable = assignedOracles(
            hexToBytes(beacon),
            hexToBytes(deviceId),
            nodes.map((n) => ({ signer: hexToBytes(n), address: n })),
            k,
          ).map((o) => o.address);
          expect(portable).toEqual(assignDevice({ beacon, deviceId, nodes, k }));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reads the challenger key out of a real libp2p Ed25519 peer id as the registry stores it", async () => {
    const key = await generateKeyPair("Ed25519");
    const peerIdBytes = peerIdFromPrivateKey(key).toMultihash().bytes;
    expect(challengerKeyOfPeerId(peerIdBytes)).toEqual(key.publicKey.raw);
    const rsaLike = peerIdFromPrivateKey(await generateKeyPair("secp256k1")).toMultihash().bytes;
    expect(challengerKeyOfPeerId(rsaLike)).toBeUndefined();
  });
});
