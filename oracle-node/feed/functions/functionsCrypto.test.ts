import { bytesToHex, encodeAbiParameters, type Hex, hashTypedData, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { lineLeaf } from "../../../contracts/lines";
import { resultVoteDomain, resultVoteTypes } from "../../../contracts/votes";
import { generateLines, oracleAccounts, signResultVote } from "../fixture";
import { buildTree, proofOf } from "../memorySource";
import { deviceLineToJson } from "../toJson";
import { FUNCTIONS_CRYPTO } from "./functionsCrypto";

interface Crypto {
  keccak256(bytes: Uint8Array): Uint8Array;
  recoverAddress(digest: Uint8Array, signature: Hex): string | undefined;
  resultVoteDigest(...args: string[]): Uint8Array;
  encodeLine(line: ReturnType<typeof deviceLineToJson>): Uint8Array;
  lineLeaf(encoded: Uint8Array): Uint8Array;
  verifyMerkleProof(leaf: Uint8Array, proof: Hex[], root: Hex): boolean;
}
// The same text the DON runs, evaluated here so each helper can be compared with viem.
const js = new Function(
  `${FUNCTIONS_CRYPTO}; return { keccak256, recoverAddress, resultVoteDigest, encodeLine, lineLeaf, verifyMerkleProof };`,
)() as Crypto;

describe("Functions crypto (plain JavaScript for the sandbox)", () => {
  it("hashes like viem's keccak256 at every padding boundary", () => {
    for (const length of [0, 1, 31, 32, 135, 136, 137, 271, 272, 300]) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 151 + length) & 0xff);
      expect(bytesToHex(js.keccak256(bytes)), `length ${length}`).toBe(keccak256(bytes));
    }
  });

  it("recovers the signer of a ResultVote over the EIP-712 digest viem computes", async () => {
    const ctx = { chainId: 31337, settlement: "0x00000000000000000000000000000000000000aa" as const };
    const result = {
      networkId: 7n,
      epoch: 12n,
      resultRoot: keccak256(toHex("root")),
      observationsCommitment: keccak256(toHex("obs")),
    };
    const digest = js.resultVoteDigest(
      "31337",
      ctx.settlement,
      "7",
      "12",
      result.resultRoot,
      result.observationsCommitment,
    );
    expect(bytesToHex(digest)).toBe(
      hashTypedData({
        domain: resultVoteDomain(ctx.chainId, ctx.settlement),
        types: resultVoteTypes,
        primaryType: "ResultVote",
        message: result,
      }),
    );
    for (const oracle of oracleAccounts(3)) {
      const vote = await signResultVote(oracle, ctx, result);
      expect(js.recoverAddress(digest, vote.signature)).toBe(oracle.address.toLowerCase());
    }
    expect(js.recoverAddress(digest, `0x${"00".repeat(65)}`)).toBeUndefined();
  });

  it("computes line leaves and checks proofs like the OpenZeppelin tree", () => {
    const lines = generateLines(1n, 3n, 9);
    const tree = buildTree(lines);
    const at = tree.treeIndex[4]!;
    const encoded = js.encodeLine(deviceLineToJson(lines[4]!));
    expect(bytesToHex(encoded)).toBe(
      encodeAbiParameters(
        ["uint64", "uint64", "bytes32", "address", "uint32", "uint64", "uint256", "uint256"].map((type) => ({
          type,
        })),
        Object.values(lines[4]!),
      ),
    );
    const leaf = js.lineLeaf(encoded);
    expect(bytesToHex(leaf)).toBe(lineLeaf(lines[4]!));
    expect(js.verifyMerkleProof(leaf, proofOf(tree.nodes, at), tree.nodes[0]!)).toBe(true);
    expect(js.verifyMerkleProof(leaf, proofOf(tree.nodes, tree.treeIndex[5]!), tree.nodes[0]!)).toBe(false);
  });
});
