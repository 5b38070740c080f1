import type { GovernanceOptions } from "../../deploy/governance";

/**
 * The devnet's governance, sized so one proposal runs end to end inside an epoch or two. anvil mines a
 * block per transaction and the devnet mines empty blocks (`anvil_mine`, which keeps the wall clock's
 * timestamps) to open and close the vote, so the period only has to outlast the blocks other transactions
 * mine between "vote open" and the vote itself: 25 blocks is a few seconds of the busiest devnet traffic
 * (a burst of claims at an epoch's end). The timelock delay runs on the wall clock, like the epochs (the
 * devnet never warps time): 12 s is long enough to watch on the dashboard, short enough for one epoch.
 */
export const DEVNET_GOVERNANCE = {
  votingDelay: 1,
  votingPeriod: 25,
  timelockDelay: 12n,
  quorumPercent: 4,
} satisfies GovernanceOptions;
