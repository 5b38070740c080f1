import { type Deployment, vigilTokenAbi } from "../../../contracts";
import { deployGovernance, type GovernanceOptions } from "../../deploy/governance";
import type { ChainClients } from "../clients";
import type { DevnetLane } from "../lane";
import { DEVNET_GOVERNANCE } from "./options";

/**
 * Puts the devnet's home chain under governance once everything it does as an owner is done (DON config,
 * workflows, mints, VGL's CCIP setup): the deployer delegates its VGL votes to itself (before any proposal's
 * snapshot, so it can pass the demo alone), then a timelock and governor take every owner role it holds:
 * registry, settlement, forwarder, VGL's admin and CCIP admin, VGL's TokenAdminRegistry administrator, the
 * home token pool and the claim hook. Returns the deployment with the governance addresses.
 */
export async function handOverToGovernance(
  home: ChainClients,
  deployment: Deployment,
  lane: Pick<DevnetLane, "config" | "homePool" | "hook">,
  options: GovernanceOptions = DEVNET_GOVERNANCE,
): Promise<Deployment> {
  await home.public.waitForTransactionReceipt({
    hash: await home.wallet.writeContract({
      address: deployment.token,
      abi: vigilTokenAbi,
      functionName: "delegate",
      args: [home.wallet.account.address],
    }),
  });
  const governance = await deployGovernance(
    { publicClient: home.public, walletClient: home.wallet },
    {
      token: deployment.token,
      registry: deployment.registry,
      settlement: deployment.settlement,
      forwarder: deployment.forwarder,
      bridge: {
        tokenAdminRegistry: lane.config.chains[0].tokenAdminRegistry,
        pools: [lane.homePool],
        hook: lane.hook,
      },
    },
    options,
  );
  return { ...deployment, ...governance };
}
