import { type Address, toHex } from "viem";
import { enforceCheck } from "../checks/enforceCheck";
import { DevnetError } from "../errors";
import type { EventLog } from "../events";
import {
  type GovernanceProposal,
  type ProposalClients,
  type ProposalResult,
  runProposal,
} from "./runProposal";

/** The stage the demo's progress and failure show under. */
export const GOVERNANCE_DEMO_STAGE = "governance-demo";

/**
 * The devnet's governance demo: runs `proposal` end to end (runProposal) while the epochs settle, logs each
 * step as a `governance` event (console, dashboard, summary), and fails the run (`CHECK_FAILED` on the
 * `governance-demo` stage) if any step fails or the parameter does not read back changed.
 */
export async function runGovernanceDemo(m: {
  log: EventLog;
  clients: ProposalClients;
  governor: Address;
  proposal: GovernanceProposal;
  signal?: AbortSignal;
}): Promise<ProposalResult> {
  const { log } = m;
  log.emit({
    type: "stage",
    stage: GOVERNANCE_DEMO_STAGE,
    status: "starting",
    detail: m.proposal.description,
  });
  const result = await enforceCheck(
    log,
    async () => {
      try {
        return await runProposal(
          m.clients,
          m.governor,
          m.proposal,
          (p) =>
            log.emit({
              type: "governance",
              step: p.step,
              proposalId: toHex(p.proposalId),
              state: p.state,
              block: Number(p.block),
              detail: p.detail,
            }),
          m.signal,
        );
      } catch (error) {
        if (error instanceof DevnetError && error.code === "CHECK_FAILED") throw error;
        if (m.signal?.aborted) throw error;
        const message =
          error instanceof Error
            ? ((error as { shortMessage?: string }).shortMessage ?? error.message)
            : String(error);
        throw new DevnetError("CHECK_FAILED", `governance: ${message}`, {}, { cause: error });
      }
    },
    GOVERNANCE_DEMO_STAGE,
  );
  log.emit({
    type: "stage",
    stage: GOVERNANCE_DEMO_STAGE,
    status: "ready",
    detail: `proposal ${toHex(result.proposalId)} executed at block ${result.executedBlock}: ${m.proposal.readBack.functionName}() ${String(result.before)} → ${String(result.after)}`,
  });
  return result;
}
