import { type Address, type Hex, type LocalAccount, recoverTypedDataAddress } from "viem";
import { resultVoteDomain, resultVoteTypes } from "../../contracts/votes";
import type { ResultVote } from "./types";

export interface VoteDomain {
  chainId: number;
  settlement: Address;
}

type VoteBody = Pick<ResultVote, "networkId" | "epoch" | "resultRoot" | "observationsCommitment">;

/** Signs a ResultVote (EIP-712, docs/interfaces.md). Callers must have recorded the decision first. */
export async function signResultVote(
  account: LocalAccount,
  domain: VoteDomain,
  body: VoteBody,
): Promise<ResultVote> {
  const signature = await account.signTypedData({
    domain: resultVoteDomain(domain.chainId, domain.settlement),
    types: resultVoteTypes,
    primaryType: "ResultVote",
    message: {
      networkId: body.networkId,
      epoch: body.epoch,
      resultRoot: body.resultRoot,
      observationsCommitment: body.observationsCommitment,
    },
  });
  return { ...body, signer: account.address, signature };
}

/** The address that signed `body` with `signature`. */
export async function recoverResultVoteSigner(
  domain: VoteDomain,
  body: VoteBody,
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({
    domain: resultVoteDomain(domain.chainId, domain.settlement),
    types: resultVoteTypes,
    primaryType: "ResultVote",
    message: {
      networkId: body.networkId,
      epoch: body.epoch,
      resultRoot: body.resultRoot,
      observationsCommitment: body.observationsCommitment,
    },
    signature,
  });
}
