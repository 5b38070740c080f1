import type { DevnetEvent } from "../events";

/** What the run summary says about the devnet's governance proposal. */
export interface GovernanceSummary {
  proposalId: string;
  /** The last step reached: `checked` once the parameter was read back changed. */
  step: string;
  state: string;
  /** Block of the last step. */
  block: number;
  /** The last step's detail (for `checked`: the parameter before → after). */
  detail: string;
}

/** The governance proposal's last step in the event log; null when the devnet ran none. */
export function summarizeGovernance(events: readonly DevnetEvent[]): GovernanceSummary | null {
  let last: GovernanceSummary | null = null;
  for (const e of events)
    if (e.type === "governance")
      last = { proposalId: e.proposalId, step: e.step, state: e.state, block: e.block, detail: e.detail };
  return last;
}
