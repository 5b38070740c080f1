import type { Address, TypedDataDomain } from "viem";

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
