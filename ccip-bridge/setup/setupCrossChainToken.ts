import { type Address, encodeAbiParameters, isAddressEqual, zeroAddress } from "viem";
import { registryModuleAbi, tokenAbi, tokenAdminRegistryAbi, tokenPoolAbi } from "../abi.js";
import { type ChainClients, deployFromArtifact, sendAndWait } from "../deploy.js";
import { BridgeError } from "../errors.js";

/** A token bucket: `capacity` tokens at most, refilled at `rate` tokens (wei) per second. */
export interface RateLimit {
  isEnabled: boolean;
  capacity: bigint;
  rate: bigint;
}

/** One side of the token's CCIP setup: where CCIP lives on that chain, and the token there. */
export interface CrossChainSide {
  clients: ChainClients;
  chainSelector: bigint;
  token: Address;
  router: Address;
  rmnProxy: Address;
  tokenAdminRegistry: Address;
  registryModule: Address;
  /** An already deployed pool to reuse; a new BurnMintTokenPool is deployed otherwise. */
  pool?: Address;
}

export interface SetupCrossChainTokenOptions {
  a: CrossChainSide;
  b: CrossChainSide;
  /** Outbound limit of each pool (towards the other chain). */
  outbound: RateLimit;
  /**
   * Inbound limit of each pool. Chainlink advises 5-10 % above outbound: messages sent in one window can
   * arrive in one batch. Defaults to outbound + 10 %.
   */
  inbound?: RateLimit;
}

export interface CrossChainTokenSetup {
  poolA: Address;
  poolB: Address;
}

/**
 * Makes the reward token a CCIP cross-chain token on two chains with Chainlink's `BurnMintTokenPool`:
 * deploys a pool per chain, registers the token's CCIP admin through `RegistryModuleOwnerCustom`,
 * accepts the role and sets the pool in the `TokenAdminRegistry`, grants the pool mint and burn, and
 * connects the pools with `applyChainUpdates` and rate limits. Works on any pair of RPCs (the devnet's
 * local lane or Chainlink's real CCIP on testnets); each side's wallet must be the token's CCIP admin.
 * Steps already done (admin registered, pool set, chain added) are skipped, so a failed run can be re-run.
 */
export async function setupCrossChainToken(
  options: SetupCrossChainTokenOptions,
): Promise<CrossChainTokenSetup> {
  const inbound = options.inbound ?? {
    isEnabled: options.outbound.isEnabled,
    capacity: (options.outbound.capacity * 11n) / 10n,
    rate: (options.outbound.rate * 11n) / 10n,
  };
  if (options.a.chainSelector === options.b.chainSelector) {
    throw new BridgeError("CONFIG", "both sides have the same chain selector", {
      context: { chainSelector: options.a.chainSelector },
    });
  }
  const [poolA, poolB] = await Promise.all([registerSide(options.a), registerSide(options.b)]);
  await Promise.all([
    connect(options.a, poolA, options.b, poolB, options.outbound, inbound),
    connect(options.b, poolB, options.a, poolA, options.outbound, inbound),
  ]);
  return { poolA, poolB };
}

async function registerSide(side: CrossChainSide): Promise<Address> {
  const { clients, token } = side;
  const me = clients.wallet.account.address;
  const ccipAdmin = await clients.public.readContract({
    address: token,
    abi: tokenAbi,
    functionName: "getCCIPAdmin",
  });
  if (!isAddressEqual(ccipAdmin, me)) {
    throw new BridgeError(
      "UNAUTHORIZED",
      `the wallet ${me} is not the CCIP admin (${ccipAdmin}) of token ${token}`,
    );
  }
  const decimals = await clients.public.readContract({
    address: token,
    abi: tokenAbi,
    functionName: "decimals",
  });
  const pool =
    side.pool ??
    (await deployFromArtifact(clients, "BurnMintTokenPool.sol", "BurnMintTokenPool", [
      token,
      decimals,
      zeroAddress, // no advanced pool hooks (allowlists, extra verifiers)
      side.rmnProxy,
      side.router,
    ]));

  let config = await clients.public.readContract({
    address: side.tokenAdminRegistry,
    abi: tokenAdminRegistryAbi,
    functionName: "getTokenConfig",
    args: [token],
  });
  if (!isAddressEqual(config.administrator, me) && !isAddressEqual(config.pendingAdministrator, me)) {
    await sendAndWait(
      clients,
      clients.wallet.writeContract({
        address: side.registryModule,
        abi: registryModuleAbi,
        functionName: "registerAdminViaGetCCIPAdmin",
        args: [token],
      }),
    );
    config = { ...config, pendingAdministrator: me };
  }
  if (!isAddressEqual(config.administrator, me)) {
    await sendAndWait(
      clients,
      clients.wallet.writeContract({
        address: side.tokenAdminRegistry,
        abi: tokenAdminRegistryAbi,
        functionName: "acceptAdminRole",
        args: [token],
      }),
    );
  }
  if (!isAddressEqual(config.tokenPool, pool)) {
    await sendAndWait(
      clients,
      clients.wallet.writeContract({
        address: side.tokenAdminRegistry,
        abi: tokenAdminRegistryAbi,
        functionName: "setPool",
        args: [token, pool],
      }),
    );
  }
  await sendAndWait(
    clients,
    clients.wallet.writeContract({
      address: token,
      abi: tokenAbi,
      functionName: "grantMintAndBurnRoles",
      args: [pool],
    }),
  );
  return pool;
}

async function connect(
  local: CrossChainSide,
  localPool: Address,
  remote: CrossChainSide,
  remotePool: Address,
  outbound: RateLimit,
  inbound: RateLimit,
): Promise<void> {
  const supported = await local.clients.public.readContract({
    address: localPool,
    abi: tokenPoolAbi,
    functionName: "isSupportedChain",
    args: [remote.chainSelector],
  });
  if (supported) return;
  const encode = (address: Address) => encodeAbiParameters([{ type: "address" }], [address]);
  await sendAndWait(
    local.clients,
    local.clients.wallet.writeContract({
      address: localPool,
      abi: tokenPoolAbi,
      functionName: "applyChainUpdates",
      args: [
        [],
        [
          {
            remoteChainSelector: remote.chainSelector,
            remotePoolAddresses: [encode(remotePool)],
            remoteTokenAddress: encode(remote.token),
            outboundRateLimiterConfig: outbound,
            inboundRateLimiterConfig: inbound,
          },
        ],
      ],
    }),
  );
}
