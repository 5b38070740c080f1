import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import type { Hex } from "viem";
import { type DeviceLine, lineLeaf } from "../../../contracts/portable";
import { InvalidProofError, TamperedLineError } from "./errors";

export interface LineProof {
  line: DeviceLine;
  /** The leaf the node says the proof starts from. */
  leaf: Hex;
  proof: readonly Hex[];
}

/**
 * Checks a device line against a result root the way OpenZeppelin's `MerkleProof` does. The proof is
 * checked from the served leaf first, so a line edited after the proof was made is told apart
 * (`TamperedLineError`) from a proof that leads nowhere (`InvalidProofError`).
 */
export function verifyLineProof(root: Hex, { line, leaf, proof }: LineProof, node?: string): void {
  if (!SimpleMerkleTree.verify(root, leaf, [...proof])) throw new InvalidProofError(node, root, leaf);
  const computed = lineLeaf(line);
  if (computed.toLowerCase() !== leaf.toLowerCase()) throw new TamperedLineError(node, leaf, computed);
}
