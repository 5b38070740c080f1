// Oracle slashing: turns a result-vote equivocation the agreement recorded (two conflicting signed
// ResultVotes from one oracle in one epoch) into one `slashEquivocation` transaction on the
// settlement contract. Exactly one node sends it: the lowest-address active oracle other than the
// offender. The others skip; if the chosen node is down, nobody is slashed until it returns (or an
// operator submits the evidence by hand, docs/operator.md).
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  custom,
  type Hex,
  type LocalAccount,
  type PublicClient,
} from "viem";
import { vigilSettlementAbi } from "../../contracts/index";
import type { EquivocationEvidence } from "../agreement/types";
import type { Logger } from "../logger";

export interface EquivocationReporterOptions {
  client: PublicClient;
  /** The node's signer: it pays the gas and receives `reporterRewardBps` of the slash. */
  account: LocalAccount;
  settlement: Address;
  /** Signers of the registered, active oracles now (the node's last registry read). */
  activeOracles: () => readonly Address[];
  logger: Logger;
}

export type ReportOutcome =
  | "sent" // the transaction was mined and succeeded
  | "not-reporter" // another node is the one to send it
  | "duplicate" // this (signer, network, epoch) was already handled by this reporter
  | "nothing-to-slash" // already slashed (or never staked): the contract has nothing to take
  | "rejected" // the contract would revert for another reason (e.g. forged signatures): nothing sent
  | "unsupported" // not a result-vote equivocation: the contract only slashes those
  | "failed"; // RPC or transaction failure: logged, may be retried

export interface EquivocationReporter {
  /** Never throws: every outcome is logged and returned. */
  report(evidence: EquivocationEvidence): Promise<ReportOutcome>;
}

interface SignedVote {
  vote: { networkId: bigint; epoch: bigint; resultRoot: Hex; observationsCommitment: Hex };
  signature: Hex;
}

/** A ResultVote as the agreement stores it in evidence: JSON, bigints as decimal strings. */
function decodeVote(bytes: Uint8Array): SignedVote {
  const v = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, string>;
  const hex = (x: string | undefined, name: string) => {
    if (typeof x !== "string" || !/^0x[0-9a-fA-F]*$/.test(x)) throw new Error(`vote.${name} is not hex`);
    return x as Hex;
  };
  return {
    vote: {
      networkId: BigInt(v.networkId!),
      epoch: BigInt(v.epoch!),
      resultRoot: hex(v.resultRoot, "resultRoot"),
      observationsCommitment: hex(v.observationsCommitment, "observationsCommitment"),
    },
    signature: hex(v.signature, "signature"),
  };
}

export function createEquivocationReporter(opts: EquivocationReporterOptions): EquivocationReporter {
  const log = opts.logger.child({ module: "equivocation-reporter" });
  const me = opts.account.address.toLowerCase();
  const wallet = createWalletClient({
    account: opts.account,
    chain: opts.client.chain,
    transport: custom({ request: opts.client.request }),
  });
  /** Keys handled or in flight; a failed attempt leaves the set so that a later report retries. */
  const handled = new Set<string>();

  const attempt = async (e: EquivocationEvidence, ctx: Record<string, unknown>): Promise<ReportOutcome> => {
    // One sender: the lowest active oracle address other than the offender. Every node reads the
    // same registry, so they agree on who it is without talking to each other.
    const offender = e.signer.toLowerCase();
    const candidates = opts
      .activeOracles()
      .map((a) => a.toLowerCase())
      .filter((a) => a !== offender)
      .sort();
    if (candidates[0] !== me) {
      log.info({ ...ctx, reporter: candidates[0] }, "equivocation: another oracle reports it");
      return "not-reporter";
    }
    const a = decodeVote(e.first);
    const b = decodeVote(e.second);
    const args = [a.vote, a.signature, b.vote, b.signature] as const;
    // Threat: a peer (or a bug) could hand us fabricated "evidence": votes with forged signatures,
    // votes that do not conflict, or votes of an oracle already slashed. The contract recovers
    // both signers itself and reverts on all of these, so we simulate first (eth_call) and send
    // nothing that would revert: a forged equivocation costs us no gas and slashes nobody.
    try {
      await opts.client.simulateContract({
        account: opts.account,
        address: opts.settlement,
        abi: vigilSettlementAbi,
        functionName: "slashEquivocation",
        args,
      });
    } catch (err) {
      const revert =
        err instanceof BaseError ? err.walk((x) => x instanceof ContractFunctionRevertedError) : null;
      if (revert instanceof ContractFunctionRevertedError) {
        const reason = revert.data?.errorName ?? revert.reason ?? "unknown";
        if (reason === "NothingToSlash") {
          log.info(ctx, "equivocation: offender already slashed (nothing to slash)");
          return "nothing-to-slash";
        }
        log.warn({ ...ctx, reason }, "equivocation evidence rejected by the contract; not sent");
        return "rejected";
      }
      throw err;
    }
    const hash = await wallet.writeContract({
      address: opts.settlement,
      abi: vigilSettlementAbi,
      functionName: "slashEquivocation",
      args,
      chain: opts.client.chain,
    });
    const receipt = await opts.client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      // Lost a race (e.g. someone else's slash landed between simulate and send): not retried here.
      log.info({ ...ctx, hash }, "equivocation slash reverted on chain (already slashed?)");
      return "nothing-to-slash";
    }
    log.info({ ...ctx, hash }, "equivocation slash sent");
    return "sent";
  };

  return {
    async report(e) {
      const ctx = { signer: e.signer, networkId: e.networkId.toString(), epoch: e.epoch.toString() };
      if (e.kind !== "result-vote") return "unsupported";
      const key = `${e.signer.toLowerCase()}:${e.networkId}:${e.epoch}`;
      if (handled.has(key)) return "duplicate";
      handled.add(key);
      try {
        return await attempt(e, ctx);
      } catch (err) {
        handled.delete(key);
        log.warn({ ...ctx, err }, "equivocation report failed");
        return "failed";
      }
    },
  };
}
