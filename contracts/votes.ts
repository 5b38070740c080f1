import { type Address, encodeAbiParameters, type Hex, keccak256, type TypedDataDomain } from "viem";

/** EIP-712 types of an oracle node's vote for an epoch result (docs/interfaces.md, "Result votes"). */
export const resultVoteTypes = {
  ResultVote: [
    { name: "networkId", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "resultRoot", type: "bytes32" },
    { name: "observationsCommitment", type: "bytes32" },
  ],
} as const;

/** The EIP-712 domain of result votes: the settlement contract on `chainId` verifies them. */
export function resultVoteDomain(chainId: number | bigint, settlement: Address) {
  return {
    name: "Vigil",
    version: "1",
    chainId: BigInt(chainId),
    verifyingContract: settlement,
  } as const satisfies TypedDataDomain;
}

/**
 * The commitment a reporter sends with `commitEquivocation` before it reveals the evidence with
 * `slashEquivocation(voteA, signatureA, voteB, signatureB, salt)`:
 * `keccak256(abi.encode(reporter, keccak256(signatureA), keccak256(signatureB), salt))`. It names the
 * reporter (only that account's reveal matches it) and hides the evidence behind the secret `salt`.
 */
export function equivocationCommitment(reporter: Address, signatureA: Hex, signatureB: Hex, salt: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "bytes32" }, { type: "bytes32" }, { type: "bytes32" }],
      [reporter, keccak256(signatureA), keccak256(signatureB), salt],
    ),
  );
}
