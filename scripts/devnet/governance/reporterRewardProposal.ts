import type { Address } from "viem";
import { vigilSettlementAbi } from "../../../contracts";
import type { GovernanceProposal } from "./runProposal";

/**
 * The devnet's demo proposal: set the settlement's share of a slashed oracle stake paid to whoever proves
 * its equivocation. Chosen because nothing else the devnet does depends on it (a shorter or longer
 * unbonding delay would change what `vigil operator exit` does on a devnet).
 */
export function reporterRewardProposal(settlement: Address, bps: number): GovernanceProposal {
  return {
    target: settlement,
    abi: vigilSettlementAbi,
    functionName: "setReporterRewardBps",
    args: [bps],
    description: `Devnet governance demo: equivocation reporter reward ${bps / 100}%`,
    readBack: { functionName: "reporterRewardBps", expected: bps },
  };
}
