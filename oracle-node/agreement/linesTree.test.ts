import fc from "fast-check";
import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { buildLinesTree } from "../../contracts/lines";
import { buildLinesTreeNodes, treeNodeHex } from "./linesTree";
import type { DeviceLine } from "./types";

const hex = (n: number) =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => `0x${Buffer.from(b).toString("hex")}`);
const line: fc.Arbitrary<DeviceLine> = fc.record({
  networkId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  epoch: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  deviceId: hex(32) as fc.Arbitrary<Hex>,
  owner: hex(20) as fc.Arbitrary<Address>,
  uptimeBps: fc.integer({ min: 0, max: 10_000 }),
  work: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  reward: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  slash: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
});

describe("buildLinesTreeNodes", () => {
  it("builds the same tree as StandardMerkleTree (contracts/lines.ts)", () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 40 }), (lines) => {
        const ours = buildLinesTreeNodes(lines);
        const dump = buildLinesTree(lines).dump();
        expect(dump.tree.map((_, i) => treeNodeHex(ours.nodes, i))).toEqual(dump.tree);
        expect(ours.nodes.length).toBe(dump.tree.length * 32);
        expect(ours.root).toBe(dump.tree[0]);
        expect(ours.treeIndex).toEqual(dump.values.map((v) => v.treeIndex));
      }),
      { numRuns: 50 },
    );
  });

  it("rejects an empty tree", () => {
    expect(() => buildLinesTreeNodes([])).toThrow(/at least one line/);
  });
});
