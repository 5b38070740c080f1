import { type Address, type Hex, isAddressEqual, recoverTypedDataAddress } from "viem";
import { resultVoteDomain, resultVoteTypes } from "../../../contracts/votes";
import { ForeignSignerError, InvalidSignatureError, TooFewSignaturesError } from "./errors";

export interface VotedResult {
  networkId: bigint;
  epoch: bigint;
  resultRoot: Hex;
  observationsCommitment: Hex;
  votes: readonly { signer: Address; signature: Hex }[];
}

export interface VerifyResultVotesParameters {
  /** Chain and settlement contract of the EIP-712 domain: taken from the caller, never from a node. */
  chainId: number;
  settlement: Address;
  /** The registered oracle signers (n = 3f + 1). */
  signers: readonly Address[];
  /** Distinct registered signers needed; defaults to f + 1 with f = floor((n - 1) / 3). */
  threshold?: number;
  /** Reject the result if any vote comes from an unregistered signer, even with enough others. */
  strict?: boolean;
  /** The node that served the result, for error messages. */
  node?: string;
}

/** f + 1 for n = signers.length = 3f + 1 (at least one honest signer among any f + 1). */
export function defaultThreshold(signerCount: number): number {
  return Math.floor((signerCount - 1) / 3) + 1;
}

/**
 * Checks that enough distinct registered oracles signed this exact result. Each vote must recover to
 * its claimed signer over `(networkId, epoch, resultRoot, observationsCommitment)`; votes of
 * unregistered signers count for nothing. Returns the registered signers that voted.
 */
export async function verifyResultVotes(
  result: VotedResult,
  params: VerifyResultVotesParameters,
): Promise<Address[]> {
  const required = params.threshold ?? defaultThreshold(params.signers.length);
  const registered = new Set(params.signers.map((s) => s.toLowerCase()));
  const valid = new Map<string, Address>();
  const foreign: Address[] = [];
  for (const vote of result.votes) {
    let recovered: Address;
    try {
      recovered = await recoverTypedDataAddress({
        domain: resultVoteDomain(params.chainId, params.settlement),
        types: resultVoteTypes,
        primaryType: "ResultVote",
        message: {
          networkId: result.networkId,
          epoch: result.epoch,
          resultRoot: result.resultRoot,
          observationsCommitment: result.observationsCommitment,
        },
        signature: vote.signature,
      });
    } catch (cause) {
      throw new InvalidSignatureError(params.node, vote.signer, undefined, cause);
    }
    if (!isAddressEqual(recovered, vote.signer))
      throw new InvalidSignatureError(params.node, vote.signer, recovered);
    if (registered.has(recovered.toLowerCase())) valid.set(recovered.toLowerCase(), recovered);
    else foreign.push(recovered);
  }
  if (foreign.length > 0 && (params.strict || valid.size < required))
    throw new ForeignSignerError(params.node, foreign, valid.size, required);
  if (valid.size < required) throw new TooFewSignaturesError(params.node, valid.size, required);
  return [...valid.values()];
}
