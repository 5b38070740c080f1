import { type Address, getAddress, type Hex, type PublicClient, parseAbi } from "viem";
import { SettlementError } from "./errors";
import { type DonConfigRequest, planDonConfig } from "./setDonConfig";

const governanceAbi = parseAbi([
  "function getMinDelay() view returns (uint256)",
  "function timelock() view returns (address)",
]);

/** A governance proposal that reconfigures the DON: what `VigilGovernor.propose` takes, and where it goes. */
export interface DonConfigProposal {
  governor: Address;
  timelock: Address;
  targets: Address[];
  values: bigint[];
  calldatas: Hex[];
  description: string;
  configVersion: number;
  /** Versions the proposal clears (`clearPrevious`). */
  cleared: number[];
}

/**
 * Whether `owner` is a TimelockController (answers `getMinDelay`): under governance (`vigil deploy
 * --governance`) the forwarder's owner is the timelock, and a DON change is a proposal, not a transaction.
 */
export async function isTimelock(client: PublicClient, owner: Address): Promise<boolean> {
  const code = await client.getCode({ address: owner });
  if (!code || code === "0x") return false;
  try {
    await client.readContract({ address: owner, abi: governanceAbi, functionName: "getMinDelay" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The proposal that makes the forwarder (owned by `timelock`) accept a new DON config: the same calls
 * `setDonConfig` sends as the owner, for `governor` to vote on and the timelock to execute after its delay.
 * Checks that `governor` is the timelock's governor, so a proposal is never submitted where it cannot pass.
 */
export async function donConfigProposal(
  client: PublicClient,
  o: DonConfigRequest & { governor: Address; timelock: Address; description?: string },
): Promise<DonConfigProposal> {
  const governorTimelock = await client
    .readContract({ address: o.governor, abi: governanceAbi, functionName: "timelock" })
    .catch((cause: unknown) => {
      throw new SettlementError(
        "DON_NOT_CONFIGURED",
        `${o.governor} is not a governor (no timelock())`,
        {
          governor: o.governor,
        },
        { cause },
      );
    });
  if (getAddress(governorTimelock) !== getAddress(o.timelock))
    throw new SettlementError(
      "DON_NOT_CONFIGURED",
      `governor ${o.governor} executes through ${governorTimelock}, not the forwarder's owner ${o.timelock}`,
      { governor: o.governor, timelock: o.timelock },
    );
  const plan = await planDonConfig(client, o);
  const cleared = plan.cleared.length ? `, clearing versions ${plan.cleared.join(", ")}` : "";
  return {
    governor: o.governor,
    timelock: o.timelock,
    targets: plan.calls.map(() => o.forwarder),
    values: plan.calls.map(() => 0n),
    calldatas: plan.calls.map((c) => c.data),
    description:
      o.description ??
      `DON ${o.donId}: config version ${plan.configVersion}, f=${o.f}, signers ${o.signers.join(",")}${cleared}`,
    configVersion: plan.configVersion,
    cleared: plan.cleared,
  };
}
