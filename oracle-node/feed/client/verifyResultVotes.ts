import { type Address, type Hex, isAddressEqual, recoverTypedDataAddress } from "viem";
import { resultVoteDomain, resultVoteTypes } from "../../../contracts/portable";
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

export interface CheckedVotes {
  /** Distinct registered signers whose votes verified, in the order served. */
  signers: Address[];
  /** Distinct signers with a valid vote who are not registered: counted for nothing. */
  foreign: Address[];
}

/**
 * Checks that enough distinct registered oracles signed this exact result. Each vote must recover to
 * its claimed signer over `(networkId, epoch, resultRoot, observationsCommitment)`; a signer voting
 * twice counts once, and votes of unregistered signers count for nothing (with `strict`, any of them
 * rejects the result). Returns the registered signers that voted and the foreign ones left out.
 */
export async function checkResultVotes(
  result: VotedResult,
  params: VerifyResultVotesParameters,
): Promise<CheckedVotes> {
  const required = params.threshold ?? defaultThreshold(params.signers.length);
  const registered = new Set(params.signers.map((s) => s.toLowerCase()));
  const valid = new Map<string, Address>();
  const foreign = new Map<string, Address>();
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
    const key = recovered.toLowerCase();
    if (registered.has(key)) valid.set(key, recovered);
    else foreign.set(key, recovered);
  }
  if (foreign.size > 0 && (params.strict || valid.size < required))
    throw new ForeignSignerError(
      params.node,
      [...foreign.values()],
      valid.size,
      required,
      params.strict === true,
    );
  if (valid.size < required) throw new TooFewSignaturesError(params.node, valid.size, required);
  return { signers: [...valid.values()], foreign: [...foreign.values()] };
}

/** `checkResultVotes`, returning only the registered signers that voted. */
export async function verifyResultVotes(
  result: VotedResult,
  params: VerifyResultVotesParameters,
): Promise<Address[]> {
  return (await checkResultVotes(result, params)).signers;
}
