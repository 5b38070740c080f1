import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../../contracts";
import { type Anvil, startAnvil } from "../anvil";
import { formatEvent } from "../console";
import { EventLog } from "../events";
import { summarize } from "../summary";
import { deployGovernedChain } from "../testing/governedChain";
import { reporterRewardProposal } from "./reporterRewardProposal";
import { GOVERNANCE_DEMO_STAGE, runGovernanceDemo } from "./runGovernanceDemo";
import type { ProposalClients } from "./runProposal";

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

describe("runGovernanceDemo", () => {
  it("logs every step as a console line and puts the executed proposal in the run summary", async () => {
    const log = new EventLog();
    const result = await runGovernanceDemo({
      log,
      clients,
      governor: d.governor!,
      proposal: reporterRewardProposal(d.settlement, 4_500),
    });
    const lines = log
      .all()
      .filter((e) => e.type === "governance")
      .map((e) => formatEvent(e));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(
      /^governance: proposed proposal 0x\S+ \(Pending, block \d+\): setReporterRewardBps\(4500\)/,
    );
    expect(lines[6]).toMatch(/checked .*\(Executed, block \d+\): reporterRewardBps\(\) 5000 → 4500$/);
    const summary = summarize(log.all(), null);
    expect(summary.ok).toBe(true);
    expect(summary.governance).toMatchObject({ step: "checked", state: "Executed" });
    expect(summary.stages[GOVERNANCE_DEMO_STAGE]).toMatch(/^ready: proposal 0x\S+ executed at block \d+/);
    expect(BigInt(summary.governance!.proposalId)).toBe(result.proposalId);
  });

  it("fails the run when the parameter does not read back changed", async () => {
    const log = new EventLog();
    const proposal = reporterRewardProposal(d.settlement, 2_500);
    await expect(
      runGovernanceDemo({
        log,
        clients,
        governor: d.governor!,
        proposal: { ...proposal, readBack: { ...proposal.readBack, expected: 9_999 } },
      }),
    ).rejects.toMatchObject({ code: "CHECK_FAILED" });
    const summary = summarize(log.all(), null);
    expect(summary.ok).toBe(false);
    expect(summary.reason).toMatch(/stage governance-demo failed: governance: proposal \d+ executed but/);
    expect(summary.governance).toMatchObject({ step: "executed", state: "Executed" });
  });

  it("fails the run when a step reverts (a proposal the timelock cannot execute)", async () => {
    const log = new EventLog();
    // Above 100 %: the settlement refuses it, so execution reverts after the vote passed.
    await expect(
      runGovernanceDemo({
        log,
        clients,
        governor: d.governor!,
        proposal: reporterRewardProposal(d.settlement, 10_001),
      }),
    ).rejects.toMatchObject({ code: "CHECK_FAILED" });
    expect(summarize(log.all(), null).reason).toMatch(/stage governance-demo failed: governance: /);
  });
});
