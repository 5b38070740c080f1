import { describe, expect, it } from "vitest";
import { buildLinesTree, lineLeaf } from "../../../contracts/lines";
import { generateLines } from "../fixture";
import { LinesRootBuilder, lineLeafBytes, TreeShapeError } from "./rebuildLinesRoot";

describe("LinesRootBuilder", () => {
  it.each([1, 2, 3, 7, 64, 101])(
    "rebuilds StandardMerkleTree's root of %i lines from leaves at their treeIndex",
    (n) => {
      const lines = generateLines(3n, 9n, n);
      const tree = buildLinesTree(lines);
      const builder = new LinesRootBuilder(n);
      // In reverse input order: the position, not the arrival order, places a leaf.
      const values = tree.dump().values;
      for (let i = values.length - 1; i >= 0; i--) builder.add(lines[i]!, values[i]!.treeIndex);
      expect(builder.root()).toBe(tree.root);
    },
  );

  it("hashes a line to the leaf the library computes", () => {
    for (const line of generateLines(1n, 2n, 5))
      expect(`0x${Buffer.from(lineLeafBytes(line)).toString("hex")}`).toBe(lineLeaf(line));
  });

  it("refuses leaves outside the leaf range, twice at one position, or missing", () => {
    const [a, b] = generateLines(1n, 1n, 2);
    const builder = new LinesRootBuilder(3);
    expect(() => builder.add(a!, 1)).toThrow(TreeShapeError);
    expect(() => builder.add(a!, 5)).toThrow(TreeShapeError);
    builder.add(a!, 2);
    expect(() => builder.add(b!, 2)).toThrow(/two lines at treeIndex 2/);
    expect(() => builder.root()).toThrow(/1 of 3 leaf positions/);
    expect(() => new LinesRootBuilder(0)).toThrow(TreeShapeError);
  });
});
