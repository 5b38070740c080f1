import type { Address } from "viem";

/** EIP-712 types of an oracle's vote over an epoch result (`docs/interfaces.md`). */
export const RESULT_VOTE_TYPES = {
  ResultVote: [
    { name: "networkId", type: "uint64" },
    { name: "epoch", type: "uint64" },
    { name: "resultRoot", type: "bytes32" },
    { name: "observationsCommitment", type: "bytes32" },
  ],
} as const;

/** The vote domain: the settlement contract on its chain. */
export function resultVoteDomain(chainId: number, settlement: Address) {
  return { name: "Vigil", version: "1", chainId, verifyingContract: settlement } as const;
}
