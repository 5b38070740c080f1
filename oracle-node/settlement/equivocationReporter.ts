// Oracle slashing: turns a result-vote equivocation the agreement recorded (two conflicting signed
// ResultVotes from one oracle in one epoch) into a commit and a reveal on the settlement contract:
// `commitEquivocation(commitment)`, then, in a later block, `slashEquivocation(..., salt)`. The
// commitment names this node's signer, so a mempool watcher copying either transaction cannot take
// the reporter reward (docs/contracts.md, "Oracle equivocation"). Exactly one node reports: the
// lowest-address active oracle other than the offender. The others skip; if the chosen node is down,
// nobody is slashed until it returns (or an operator submits the evidence by hand, docs/operator.md).
// The salt lives in memory only (not persisted): after a crash between commit and reveal the
// commitment stays on chain unused (harmless: only this signer's reveal with the lost salt matches
// it), and the evidence stays in the store (never pruned). The node reports evidence when its epoch's
// agreement ends, so a restarted node does not report it again by itself: an operator submits it by
// hand (docs/operator.md), with a new commitment. A failed attempt in a running node is retried by the
// next report of the same evidence, with a new salt.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  custom,
  type Hex,
  type LocalAccount,
  type PublicClient,
  toHex,
} from "viem";
import { equivocationCommitment, vigilRegistryAbi, vigilSettlementAbi } from "../../contracts/index";
import type { EquivocationEvidence } from "../agreement/types";
import type { Logger } from "../logger";
import { SettlementError } from "./errors";

/**
 * How long the reporter waits for a block after its commit's before giving up (the reveal must land
 * in a later block). A chain with a block time mines one within seconds; an automine-only anvil mines
 * one with the next transaction, which a running devnet sends every epoch (30 s). Far below the
 * offender's unbonding delay (at least a day, `VigilRegistry.MIN_UNBONDING_DELAY`).
 */
export const DEFAULT_REVEAL_TIMEOUT_MS = 120_000;

export interface EquivocationReporterOptions {
  client: PublicClient;
  /** The node's signer: it pays the gas, commits, reveals and receives `reporterRewardBps` of the slash. */
  account: LocalAccount;
  settlement: Address;
  /** Signers of the registered, active oracles now (the node's last registry read). */
  activeOracles: () => readonly Address[];
  logger: Logger;
  /** Bound on the wait for a block after the commit's (default `DEFAULT_REVEAL_TIMEOUT_MS`). */
  revealTimeoutMs?: number;
}

export type ReportOutcome =
  | "sent" // committed, then the reveal was mined and succeeded
  | "not-reporter" // another node is the one to send it
  | "duplicate" // this (signer, network, epoch) was already handled by this reporter
  | "nothing-to-slash" // already slashed (or never staked): the contract has nothing to take
  | "rejected" // the contract would revert for another reason (e.g. forged signatures): nothing sent
  | "unsupported" // not a result-vote equivocation: the contract only slashes those
  | "failed"; // RPC or transaction failure, or no block after the commit in time: logged, may be retried

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

/** The custom error name a failed contract simulation carries; rethrows anything that is not a revert. */
function revertName(err: unknown): string {
  const revert =
    err instanceof BaseError ? err.walk((x) => x instanceof ContractFunctionRevertedError) : null;
  if (revert instanceof ContractFunctionRevertedError)
    return revert.data?.errorName ?? revert.reason ?? "unknown";
  throw err;
}

export function createEquivocationReporter(opts: EquivocationReporterOptions): EquivocationReporter {
  const log = opts.logger.child({ module: "equivocation-reporter" });
  const me = opts.account.address.toLowerCase();
  const revealTimeoutMs = opts.revealTimeoutMs ?? DEFAULT_REVEAL_TIMEOUT_MS;
  const wallet = createWalletClient({
    account: opts.account,
    chain: opts.client.chain,
    transport: custom({ request: opts.client.request }),
  });
  /** Keys handled or in flight; a failed attempt leaves the set so that a later report retries. */
  const handled = new Set<string>();
  let registry: Address | undefined;

  const simulateReveal = async (args: RevealArgs): Promise<string | null> => {
    try {
      await opts.client.simulateContract({
        account: opts.account,
        address: opts.settlement,
        abi: vigilSettlementAbi,
        functionName: "slashEquivocation",
        args,
      });
      return null;
    } catch (err) {
      return revertName(err);
    }
  };

  /** Resolves once the chain has a block above `block`; throws after `revealTimeoutMs`. */
  const waitForBlockAfter = async (block: bigint, ctx: Record<string, unknown>) => {
    const deadline = Date.now() + revealTimeoutMs;
    for (;;) {
      if ((await opts.client.getBlockNumber({ cacheTime: 0 })) > block) return;
      if (Date.now() >= deadline)
        throw new SettlementError(
          "REVEAL_TIMEOUT",
          `no block after the equivocation commit's block ${block} within ${revealTimeoutMs} ms`,
          { ...ctx, commitBlock: block.toString(), revealTimeoutMs },
        );
      await sleep(opts.client.pollingInterval);
    }
  };

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
    // A fresh secret per attempt: the commitment hides the evidence until the reveal, and an
    // abandoned commitment (a crash, a timeout) is never reused.
    const salt = toHex(randomBytes(32));
    const args: RevealArgs = [a.vote, a.signature, b.vote, b.signature, salt];
    const commitment = equivocationCommitment(opts.account.address, a.signature, b.signature, salt);

    // Threat: a peer (or a bug) could hand us fabricated "evidence": votes with forged signatures,
    // votes that do not conflict. The contract checks the evidence before the commitment, so a
    // simulated reveal before committing reverts `NoCommitment` exactly when the evidence holds;
    // anything else is rejected and costs no gas.
    const before = await simulateReveal(args);
    if (before !== "NoCommitment" && before !== null) {
      log.warn({ ...ctx, reason: before }, "equivocation evidence rejected by the contract; not sent");
      return "rejected";
    }
    // The stake is taken after the commitment check: read it, so an offender already slashed (or
    // never staked) costs no commit.
    registry ??= await opts.client.readContract({
      address: opts.settlement,
      abi: vigilSettlementAbi,
      functionName: "registry",
    });
    const operator = await opts.client.readContract({
      address: registry,
      abi: vigilRegistryAbi,
      functionName: "getOperator",
      args: [e.signer],
    });
    if (operator.stake === 0n) {
      log.info(ctx, "equivocation: offender already slashed (nothing to slash)");
      return "nothing-to-slash";
    }

    const commitHash = await wallet.writeContract({
      address: opts.settlement,
      abi: vigilSettlementAbi,
      functionName: "commitEquivocation",
      args: [commitment],
      chain: opts.client.chain,
    });
    const committed = await opts.client.waitForTransactionReceipt({ hash: commitHash });
    if (committed.status !== "success")
      throw new SettlementError("COMMIT_REVERTED", "equivocation commit reverted", {
        ...ctx,
        hash: commitHash,
      });
    log.info({ ...ctx, commitment, block: committed.blockNumber }, "equivocation committed");
    // The reveal must be in a later block than the commitment's (`CommitmentTooRecent`). Sent as
    // soon as one exists: a reveal left pending gives a copier time to commit and reveal too.
    await waitForBlockAfter(committed.blockNumber, ctx);

    const reason = await simulateReveal(args);
    if (reason === "NothingToSlash") {
      // Someone else's slash landed between our checks and now: a normal outcome.
      log.info(ctx, "equivocation: offender slashed meanwhile (nothing to slash)");
      return "nothing-to-slash";
    }
    if (reason !== null) {
      log.warn({ ...ctx, reason }, "equivocation reveal rejected by the contract; not sent");
      return "rejected";
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

type RevealArgs = readonly [SignedVote["vote"], Hex, SignedVote["vote"], Hex, Hex];
