import { type Hex, parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil.js";
import { type RateLimit, setupCrossChainToken } from "../setup/setupCrossChainToken.js";
import { chainClients, laneChain } from "./clients.js";
import { deployLaneChain } from "./deployLaneChain.js";
import type { LaneChain, LaneConfig } from "./laneConfig.js";
import { writeLaneConfig } from "./laneConfig.js";

/** Anvil's first two well-known dev keys: the lane's deployer (token admin) and its relayer. */
export const ANVIL_DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const ANVIL_RELAYER_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

export interface LocalLaneChainOptions {
  name: string;
  chainId: number;
  chainSelector: bigint;
  /** Use this RPC (e.g. the devnet's anvil) instead of starting an anvil. */
  rpcUrl?: string;
}

export interface StartLocalLaneOptions {
  chains?: [LocalLaneChainOptions, LocalLaneChainOptions];
  deployerKey?: Hex;
  relayerKey?: Hex;
  /** Outbound bucket of each pool; inbound is 10 % more. Default: 1,000,000 VGL, refilled 1,000 VGL/s. */
  rateLimit?: RateLimit;
  /** Write the lane config (addresses, RPCs) here for the CLI and the relayer process. */
  configFile?: string;
}

export interface LocalLane {
  config: LaneConfig;
  deployerKey: Hex;
  relayerKey: Hex;
  /** Stops the anvils this call started (not RPCs it was given). */
  stop(): Promise<void>;
}

/**
 * Two chains with the lane deployed on both ends and the VigilToken registered on both as a CCIP
 * cross-chain token (real BurnMintTokenPools, TokenAdminRegistry, rate limits). Starts its own anvils
 * unless given RPCs. Start a relayer (`startRelayer`) to carry messages.
 */
export async function startLocalLane(options: StartLocalLaneOptions = {}): Promise<LocalLane> {
  const chains = options.chains ?? [
    // Selectors are arbitrary but must differ; these spell the chain ids to ease reading logs.
    { name: "vigil-a", chainId: 31337, chainSelector: 3133700001n },
    { name: "vigil-b", chainId: 31338, chainSelector: 3133800001n },
  ];
  const deployerKey = options.deployerKey ?? ANVIL_DEPLOYER_KEY;
  const relayerKey = options.relayerKey ?? ANVIL_RELAYER_KEY;
  const deployer = privateKeyToAccount(deployerKey);
  const relayer = privateKeyToAccount(relayerKey);
  const rateLimit = options.rateLimit ?? {
    isEnabled: true,
    capacity: parseEther("1000000"),
    rate: parseEther("1000"),
  };

  const anvils: Anvil[] = [];
  const stop = async () => {
    await Promise.all(anvils.map((a) => a.stop()));
  };
  try {
    const rpcUrls = await Promise.all(
      chains.map(async (c) => {
        if (c.rpcUrl) return c.rpcUrl;
        const anvil = await startAnvil({ chainId: c.chainId });
        anvils.push(anvil);
        return anvil.rpcUrl;
      }),
    );
    const clients = chains.map((c, i) =>
      chainClients(laneChain(c.chainId, c.name, rpcUrls[i] as string), deployer),
    );
    const [ca, cb] = chains;
    const [cla, clb] = clients as [(typeof clients)[0], (typeof clients)[0]];
    const [da, db] = await Promise.all([
      deployLaneChain({
        clients: cla,
        chainSelector: ca.chainSelector,
        remoteChainSelector: cb.chainSelector,
        relayer: relayer.address,
      }),
      deployLaneChain({
        clients: clb,
        chainSelector: cb.chainSelector,
        remoteChainSelector: ca.chainSelector,
        relayer: relayer.address,
      }),
    ]);
    const { poolA, poolB } = await setupCrossChainToken({
      a: {
        clients: cla,
        chainSelector: ca.chainSelector,
        token: da.token,
        router: da.router,
        rmnProxy: da.rmn,
        tokenAdminRegistry: da.tokenAdminRegistry,
        registryModule: da.registryModule,
      },
      b: {
        clients: clb,
        chainSelector: cb.chainSelector,
        token: db.token,
        router: db.router,
        rmnProxy: db.rmn,
        tokenAdminRegistry: db.tokenAdminRegistry,
        registryModule: db.registryModule,
      },
      outbound: rateLimit,
    });
    const laneChainOf = (
      c: LocalLaneChainOptions,
      rpcUrl: string,
      d: typeof da,
      pool: typeof poolA,
    ): LaneChain => ({
      name: c.name,
      chainId: c.chainId,
      rpcUrl,
      chainSelector: c.chainSelector,
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
        laneChainOf(ca, rpcUrls[0] as string, da, poolA),
        laneChainOf(cb, rpcUrls[1] as string, db, poolB),
      ],
    };
    if (options.configFile) writeLaneConfig(options.configFile, config);
    return { config, deployerKey, relayerKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
