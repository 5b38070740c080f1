import { join } from "node:path";
import { type Address, type Hex, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployLaneChain } from "../../ccip-bridge/lane/deployLaneChain";
import type { LaneConfig } from "../../ccip-bridge/lane/laneConfig";
import { type Relayer, startRelayer } from "../../ccip-bridge/relayer/startRelayer";
import { setupCrossChainToken } from "../../ccip-bridge/setup/setupCrossChainToken";
import { loadArtifact } from "../../contracts";
import type { ChainClients } from "./clients";

/** anvil's second dev key: the lane's relayer (a transmitter on both off-ramps). */
export const RELAYER_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
/** Selectors spell the chain ids, which eases reading logs. */
export const HOME_SELECTOR = 3133700001n;
export const REMOTE_SELECTOR = 3133800001n;

export interface DevnetLane {
  config: LaneConfig;
  /** Claim hook on the home chain that bridges a claimed reward to the remote chain. */
  hook: Address;
  remoteToken: Address;
  homePool: Address;
  relayer: Relayer;
}

/**
 * The reward token as a CCIP cross-chain token between the devnet's chains: the bridge area's local
 * lane (router, ramps, RMN, real BurnMintTokenPools) around the already deployed home token, a
 * relayer carrying messages, and the claim-and-bridge hook funded for CCIP fees.
 */
export async function startDevnetLane(o: {
  home: ChainClients;
  remote: ChainClients;
  homeRpcUrl: string;
  remoteRpcUrl: string;
  token: Address;
  settlement: Address;
  dataDir: string;
}): Promise<DevnetLane> {
  const relayerAddress = privateKeyToAccount(RELAYER_KEY).address;
  const home = { wallet: o.home.wallet, public: o.home.public };
  const remote = { wallet: o.remote.wallet, public: o.remote.public };
  const a = await deployLaneChain({
    clients: home,
    chainSelector: HOME_SELECTOR,
    remoteChainSelector: REMOTE_SELECTOR,
    relayer: relayerAddress,
    token: o.token,
  });
  const b = await deployLaneChain({
    clients: remote,
    chainSelector: REMOTE_SELECTOR,
    remoteChainSelector: HOME_SELECTOR,
    relayer: relayerAddress,
  });
  const side = (clients: typeof home, selector: bigint, d: typeof a) => ({
    clients,
    chainSelector: selector,
    token: d.token,
    router: d.router,
    rmnProxy: d.rmn,
    tokenAdminRegistry: d.tokenAdminRegistry,
    registryModule: d.registryModule,
  });
  const { poolA, poolB } = await setupCrossChainToken({
    a: side(home, HOME_SELECTOR, a),
    b: side(remote, REMOTE_SELECTOR, b),
    // 1M VGL buckets refilled at 1,000 VGL/s: never the bottleneck of a devnet.
    outbound: { isEnabled: true, capacity: parseEther("1000000"), rate: parseEther("1000") },
  });
  const chain = (
    name: string,
    chainId: number,
    rpcUrl: string,
    selector: bigint,
    d: typeof a,
    pool: Address,
  ) => ({
    name,
    chainId,
    rpcUrl,
    chainSelector: selector,
    token: d.token,
    pool,
    router: d.router,
    onRamp: d.onRamp,
    offRamp: d.offRamp,
    rmn: d.rmn,
    tokenAdminRegistry: d.tokenAdminRegistry,
    registryModule: d.registryModule,
    deployBlock: d.deployBlock,
  });
  const config: LaneConfig = {
    chains: [
      chain("vigil-home", o.home.chain.id, o.homeRpcUrl, HOME_SELECTOR, a, poolA),
      chain("vigil-remote", o.remote.chain.id, o.remoteRpcUrl, REMOTE_SELECTOR, b, poolB),
    ],
  };

  const { abi, bytecode } = loadArtifact("ClaimBridgeHook.sol");
  const deployHash = await o.home.wallet.deployContract({
    abi,
    bytecode,
    args: [a.router, o.token, o.settlement],
  });
  const receipt = await o.home.public.waitForTransactionReceipt({ hash: deployHash });
  if (!receipt.contractAddress) throw new Error("ClaimBridgeHook deployment created no contract");
  const hook = receipt.contractAddress;
  // The hook pays CCIP fees in native currency for claimants.
  await o.home.public.waitForTransactionReceipt({
    hash: await o.home.wallet.sendTransaction({ to: hook, value: parseEther("10") }),
  });

  const relayer = startRelayer({
    lane: config,
    privateKey: RELAYER_KEY,
    dbPath: join(o.dataDir, "relayer.sqlite"),
  });
  return { config, hook, remoteToken: b.token, homePool: poolA, relayer };
}
