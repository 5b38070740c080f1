import type { Address } from "viem";
import { laneRouterAdminAbi, offRampAbi, tokenAdminRegistryAbi } from "../abi.js";
import { type ChainClients, deployFromArtifact, sendAndWait } from "../deploy.js";

export interface DeployLaneChainOptions {
  clients: ChainClients;
  chainSelector: bigint;
  remoteChainSelector: bigint;
  /** Allowed to deliver messages to this chain's off-ramp. */
  relayer: Address;
  /** Reuse an already deployed VigilToken (whose CCIP admin is the wallet); a new one otherwise. */
  token?: Address;
}

export interface LaneChainContracts {
  token: Address;
  tokenAdminRegistry: Address;
  registryModule: Address;
  rmn: Address;
  router: Address;
  onRamp: Address;
  offRamp: Address;
  deployBlock: bigint;
}

/**
 * Deploys one end of the local lane: Chainlink's `TokenAdminRegistry` and `RegistryModuleOwnerCustom`,
 * the stand-in RMN, and the lane's router and ramps, wired to the other chain's selector. The token's
 * pool comes after, from `setupCrossChainToken`, exactly as on a real CCIP chain.
 */
export async function deployLaneChain(options: DeployLaneChainOptions): Promise<LaneChainContracts> {
  const { clients } = options;
  const me = clients.wallet.account.address;
  const deployBlock = await clients.public.getBlockNumber();
  const token =
    options.token ?? (await deployFromArtifact(clients, "VigilToken.sol", "VigilToken", [me, 0n]));
  const tokenAdminRegistry = await deployFromArtifact(
    clients,
    "TokenAdminRegistry.sol",
    "TokenAdminRegistry",
  );
  const registryModule = await deployFromArtifact(
    clients,
    "RegistryModuleOwnerCustom.sol",
    "RegistryModuleOwnerCustom",
    [tokenAdminRegistry],
  );
  await sendAndWait(
    clients,
    clients.wallet.writeContract({
      address: tokenAdminRegistry,
      abi: tokenAdminRegistryAbi,
      functionName: "addRegistryModule",
      args: [registryModule],
    }),
  );
  const rmn = await deployFromArtifact(clients, "LocalRMN.sol", "LocalRMN");
  const router = await deployFromArtifact(clients, "LaneRouter.sol", "LaneRouter", [tokenAdminRegistry]);
  const onRamp = await deployFromArtifact(clients, "LaneOnRamp.sol", "LaneOnRamp", [
    options.chainSelector,
    router,
  ]);
  const offRamp = await deployFromArtifact(clients, "LaneOffRamp.sol", "LaneOffRamp", [
    options.chainSelector,
    options.remoteChainSelector,
    tokenAdminRegistry,
  ]);
  await sendAndWait(
    clients,
    clients.wallet.writeContract({
      address: router,
      abi: laneRouterAdminAbi,
      functionName: "setOnRamp",
      args: [options.remoteChainSelector, onRamp],
    }),
  );
  await sendAndWait(
    clients,
    clients.wallet.writeContract({
      address: router,
      abi: laneRouterAdminAbi,
      functionName: "setOffRamp",
      args: [options.remoteChainSelector, offRamp, true],
    }),
  );
  await sendAndWait(
    clients,
    clients.wallet.writeContract({
      address: offRamp,
      abi: offRampAbi,
      functionName: "setTransmitter",
      args: [options.relayer, true],
    }),
  );
  return { token, tokenAdminRegistry, registryModule, rmn, router, onRamp, offRamp, deployBlock };
}
