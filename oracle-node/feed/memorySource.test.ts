import { describe, expect, it } from "vitest";
import { buildLinesTree } from "../../contracts/lines";
import { generateLines } from "./fixture";
import { createMemoryFeedSource, proofOf } from "./memorySource";

describe("memory feed source", () => {
  it.each([1, 2, 3, 7, 33])(
    "reads the same proofs as StandardMerkleTree.getProof for %i lines",
    async (count) => {
      const lines = generateLines(1n, 1n, count);
      const tree = buildLinesTree(lines);
      const { tree: nodes, values } = tree.dump();
      for (let i = 0; i < count; i++)
        expect(proofOf(nodes as `0x${string}`[], values[i]!.treeIndex)).toEqual(tree.getProof(i));

      const source = createMemoryFeedSource();
      source.publishEpoch({
        networkId: 1n,
        epoch: 1n,
        observationsCommitment: `0x${"00".repeat(32)}`,
        lines,
      });
      const served = await source.getDeviceLine(
        1n,
        1n,
        lines[count - 1]!.deviceId.toUpperCase().replace("0X", "0x") as `0x${string}`,
      );
      expect(served?.line).toEqual(lines[count - 1]);
      expect(served?.proof).toEqual(tree.getProof(count - 1));
      expect(served?.leaf).toBe(tree.leafHash(tree.at(count - 1)!));
    },
  );

  it("answers undefined for unknown networks, epochs and devices", async () => {
    const source = createMemoryFeedSource();
    const lines = generateLines(1n, 1n, 3);
    source.publishEpoch({ networkId: 1n, epoch: 1n, observationsCommitment: `0x${"00".repeat(32)}`, lines });
    expect(await source.getDeviceLine(2n, 1n, lines[0]!.deviceId)).toBeUndefined();
    expect(await source.getDeviceLine(1n, 2n, lines[0]!.deviceId)).toBeUndefined();
    expect(await source.getDeviceLine(1n, 1n, `0x${"00".repeat(32)}`)).toBeUndefined();
    expect((await source.listEpochs(2n, { limit: 10 })).items).toEqual([]);
  });
});
