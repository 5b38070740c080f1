import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deployment, vigilSettlementAbi } from "../../../contracts";
import { type Anvil, startAnvil } from "../anvil";
import { DevnetError } from "../errors";
import { deployGovernedChain } from "../testing/governedChain";
import { reporterRewardProposal } from "./reporterRewardProposal";
import { type ProposalClients, type ProposalProgress, runProposal } from "./runProposal";

let anvil: Anvil;
let d: Deployment;
let clients: ProposalClients;

beforeAll(async () => {
  anvil = await startAnvil();
  ({ deployment: d, clients } = await deployGovernedChain(anvil));
});
afterAll(async () => {
  await anvil?.stop();
});

describe("runProposal", () => {
  it("proposes, votes, queues, waits out the timelock, executes and reads the parameter back", async () => {
    const steps: ProposalProgress[] = [];
    const result = await runProposal(clients, d.governor!, reporterRewardProposal(d.settlement, 4_000), (p) =>
      steps.push(p),
    );
    expect(steps.map((s) => [s.step, s.state])).toEqual([
      ["proposed", "Pending"],
      ["voting", "Active"],
      ["voted", "Active"],
      ["succeeded", "Succeeded"],
      ["queued", "Queued"],
      ["executed", "Executed"],
      ["checked", "Executed"],
    ]);
    // Blocks only move forward, and every step names the same proposal.
    expect(steps.map((s) => s.block)).toEqual([...steps.map((s) => s.block)].sort((a, b) => Number(a - b)));
    expect(new Set(steps.map((s) => s.proposalId))).toEqual(new Set([result.proposalId]));
    expect(result).toMatchObject({ before: 5_000, after: 4_000 });
    expect(
      await clients.public.readContract({
        address: d.settlement,
        abi: vigilSettlementAbi,
        functionName: "reporterRewardBps",
      }),
    ).toBe(4_000);
  });

  it("fails with CHECK_FAILED when the executed proposal does not change what is read back", async () => {
    // The call sets 3000 but the read-back expects 3001: execution succeeds, the check must not.
    const proposal = reporterRewardProposal(d.settlement, 3_000);
    const run = runProposal(clients, d.governor!, {
      ...proposal,
      readBack: { ...proposal.readBack, expected: 3_001 },
    });
    await expect(run).rejects.toBeInstanceOf(DevnetError);
    await expect(run).rejects.toMatchObject({ code: "CHECK_FAILED" });
    await expect(run).rejects.toThrow(/reporterRewardBps\(\) is 3000, not 3001/);
  });
});
