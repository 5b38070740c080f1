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

// secp256k1 recovery in JS costs milliseconds; gossip validation and the consensus both need it.
const recovered = new Map<string, Address>();

/** The address that signed `body` with `signature` (memoised: a vote is checked where it enters and again in consensus). */
export async function recoverResultVoteSigner(
  domain: VoteDomain,
  body: VoteBody,
  signature: Hex,
): Promise<Address> {
  const key =
    `${domain.chainId}:${domain.settlement}:${body.networkId}:${body.epoch}:${body.resultRoot}:${body.observationsCommitment}:${signature}`.toLowerCase();
  const hit = recovered.get(key);
  if (hit) return hit;
  const address = await recoverUncached(domain, body, signature);
  if (recovered.size >= 10_000) recovered.delete(recovered.keys().next().value!);
  recovered.set(key, address);
  return address;
}

async function recoverUncached(domain: VoteDomain, body: VoteBody, signature: Hex): Promise<Address> {
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
