import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keccak256, u32be } from "./hash";
import { createMultiProofVerifier, merkleLevels, merkleProof, merkleRoot, verifyMerkleProof } from "./merkle";

describe("merkle", () => {
  it("property: single and multi-proof verification agree, on valid and tampered proofs, any tree size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.nat()), { minLength: 1, maxLength: 20 }),
        (count, picks) => {
          const leaves = Array.from({ length: count }, (_, i) => keccak256(u32be(i)));
          const levels = merkleLevels(leaves);
          const root = merkleRoot(levels);
          const multi = createMultiProofVerifier(root, count);
          for (const [pick, tamper, where] of picks) {
            const index = pick % count;
            const proof = merkleProof(levels, index).map((p) => p.slice());
            let leaf = leaves[index]!;
            if (tamper) {
              if (proof.length > 0) proof[where % proof.length]![0]! ^= 1;
              else leaf = keccak256(leaf);
            }
            const single = verifyMerkleProof(root, leaf, index, count, proof);
            expect(single).toBe(!tamper);
            expect(multi(leaf, index, proof)).toBe(single);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects out-of-range indices and wrong-length proofs", () => {
    const leaves = Array.from({ length: 5 }, (_, i) => keccak256(u32be(i)));
    const levels = merkleLevels(leaves);
    const root = merkleRoot(levels);
    const proof = merkleProof(levels, 2);
    expect(verifyMerkleProof(root, leaves[2]!, 5, 5, proof)).toBe(false);
    expect(verifyMerkleProof(root, leaves[2]!, 2, 5, [...proof, proof[0]!])).toBe(false);
    expect(verifyMerkleProof(root, leaves[2]!, 2, 5, proof.slice(1))).toBe(false);
  });
});
