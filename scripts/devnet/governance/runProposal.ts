import { setTimeout as sleep } from "node:timers/promises";
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  encodeFunctionData,
  formatEther,
  type Hex,
  keccak256,
  type PublicClient,
  type TestClient,
  type Transport,
  toHex,
  type WalletClient,
} from "viem";
import { vigilGovernorAbi } from "../../../contracts";
import { DevnetError } from "../errors";

/**
 * One parameter change as data: the call the timelock makes, and how to read the parameter back. The demo's
 * proposal is swapped by passing another one (a fee share, a delay): nothing below knows what it changes.
 */
export interface GovernanceProposal {
  target: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  description: string;
  /** A view on `target` (same ABI); the proposal took effect when it returns `expected`. */
  readBack: { functionName: string; args?: readonly unknown[]; expected: unknown };
}

/** OpenZeppelin Governor's `ProposalState`, in its order. */
export const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

export type ProposalStep = "proposed" | "voting" | "voted" | "succeeded" | "queued" | "executed" | "checked";

/** A step done: the proposal's state right after it and the block it was mined in (or read at). */
export interface ProposalProgress {
  step: ProposalStep;
  proposalId: bigint;
  state: ProposalState;
  block: bigint;
  detail: string;
}

export interface ProposalResult {
  proposalId: bigint;
  before: unknown;
  after: unknown;
  executedBlock: bigint;
}

export interface ProposalClients {
  public: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, Account>;
  /** anvil's test actions on the same chain: the vote opens and closes by mining empty blocks. */
  test: TestClient<"anvil", Transport, Chain | undefined>;
}

/**
 * Runs `proposal` through `governor` end to end as the wallet, which must hold enough delegated votes to
 * propose and reach quorum alone: propose, mine to the vote's start, vote for, mine past its deadline,
 * queue in the timelock, wait out the timelock's delay on the wall clock, execute, and read the parameter
 * back. Reports each step to `onStep`. A read-back other than `expected` is `CHECK_FAILED`.
 */
export async function runProposal(
  clients: ProposalClients,
  governor: Address,
  proposal: GovernanceProposal,
  onStep: (progress: ProposalProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<ProposalResult> {
  const { public: client, wallet, test } = clients;
  const readBack = () =>
    client.readContract({
      address: proposal.target,
      abi: proposal.abi,
      functionName: proposal.readBack.functionName,
      args: proposal.readBack.args ?? [],
    });
  const send = async (
    functionName: "propose" | "castVote" | "queue" | "execute",
    args: readonly unknown[],
  ) => {
    const hash = await wallet.writeContract({
      address: governor,
      abi: vigilGovernorAbi,
      functionName,
      args: args as never,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success")
      throw new DevnetError("CHECK_FAILED", `governance: ${functionName} reverted (tx ${hash})`, { hash });
    return receipt.blockNumber;
  };
  const state = async (): Promise<ProposalState> => {
    const s = await client.readContract({
      address: governor,
      abi: vigilGovernorAbi,
      functionName: "state",
      args: [proposalId],
    });
    return PROPOSAL_STATES[s] ?? "Pending";
  };
  // Mines until the proposal is in `wanted`, a block at a time past `target` (anvil answers views at the
  // latest block, so the state flips with the first block after the snapshot or deadline).
  const mineUntil = async (wanted: ProposalState, target: bigint) => {
    const head = await client.getBlockNumber({ cacheTime: 0 });
    if (target >= head) await test.mine({ blocks: Number(target - head + 1n) });
    for (let extra = 0; (await state()) !== wanted; extra++) {
      if (extra >= 3)
        throw new DevnetError("CHECK_FAILED", `governance: proposal not ${wanted} after block ${target}`, {
          state: await state(),
        });
      await test.mine({ blocks: 1 });
    }
    return client.getBlockNumber({ cacheTime: 0 });
  };

  const before = await readBack();
  const targets = [proposal.target];
  const values = [0n];
  const calldatas: Hex[] = [
    encodeFunctionData({ abi: proposal.abi, functionName: proposal.functionName, args: proposal.args }),
  ];
  const descriptionHash = keccak256(toHex(proposal.description));
  const proposalId = await client.readContract({
    address: governor,
    abi: vigilGovernorAbi,
    functionName: "hashProposal",
    args: [targets, values, calldatas, descriptionHash],
  });
  const change = `${proposal.functionName}(${proposal.args.map(String).join(", ")}) on ${proposal.target}`;

  let block = await send("propose", [targets, values, calldatas, proposal.description]);
  onStep({ step: "proposed", proposalId, state: await state(), block, detail: change });

  const snapshot = await client.readContract({
    address: governor,
    abi: vigilGovernorAbi,
    functionName: "proposalSnapshot",
    args: [proposalId],
  });
  block = await mineUntil("Active", snapshot);
  onStep({ step: "voting", proposalId, state: "Active", block, detail: `snapshot at block ${snapshot}` });

  block = await send("castVote", [proposalId, 1]);
  const [against, forVotes] = await client.readContract({
    address: governor,
    abi: vigilGovernorAbi,
    functionName: "proposalVotes",
    args: [proposalId],
  });
  onStep({
    step: "voted",
    proposalId,
    state: await state(),
    block,
    detail: `for ${formatEther(forVotes)} VGL, against ${formatEther(against)} VGL`,
  });

  const deadline = await client.readContract({
    address: governor,
    abi: vigilGovernorAbi,
    functionName: "proposalDeadline",
    args: [proposalId],
  });
  block = await mineUntil("Succeeded", deadline);
  onStep({
    step: "succeeded",
    proposalId,
    state: "Succeeded",
    block,
    detail: `vote closed at block ${deadline}`,
  });

  block = await send("queue", [targets, values, calldatas, descriptionHash]);
  const eta = await client.readContract({
    address: governor,
    abi: vigilGovernorAbi,
    functionName: "proposalEta",
    args: [proposalId],
  });
  onStep({
    step: "queued",
    proposalId,
    state: await state(),
    block,
    detail: `executable from ${new Date(Number(eta) * 1000).toISOString()} (timelock delay)`,
  });

  // The timelock compares the executing block's timestamp, which anvil takes from the wall clock: wait for
  // it to pass the eta (a second more, as anvil stamps whole seconds) rather than warp the chain's time.
  await sleep(Math.max(0, (Number(eta) + 1) * 1000 - Date.now()), undefined, { signal });
  const executedBlock = await send("execute", [targets, values, calldatas, descriptionHash]);
  onStep({ step: "executed", proposalId, state: await state(), block: executedBlock, detail: change });

  const after = await readBack();
  if (after !== proposal.readBack.expected) {
    throw new DevnetError(
      "CHECK_FAILED",
      `governance: proposal ${proposalId} executed but ${proposal.readBack.functionName}() is ${String(after)}, not ${String(proposal.readBack.expected)}`,
      { proposalId: String(proposalId), before: String(before), after: String(after) },
    );
  }
  onStep({
    step: "checked",
    proposalId,
    state: "Executed",
    block: await client.getBlockNumber({ cacheTime: 0 }),
    detail: `${proposal.readBack.functionName}() ${String(before)} → ${String(after)}`,
  });
  return { proposalId, before, after, executedBlock };
}
