// Deploys Vigil's token, registry and settlement on a test anvil and registers a network, its
// operators and devices: the on-chain world the node tests run against.
import { peerIdFromString } from "@libp2p/peer-id";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  maxUint256,
  type PublicClient,
  parseEther,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { loadArtifact, vigilRegistryAbi, vigilSettlementAbi, vigilTokenAbi } from "../../contracts/index";
import type { Anvil } from "../../scripts/devnet/anvil";

/** anvil's first default account: deployer, network owner and operator owner in these tests. */
export const ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;

export interface Deployed {
  publicClient: PublicClient;
  token: Address;
  registry: Address;
  settlement: Address;
  forwarder: Address;
  /** Register a network; resolves with its id. */
  registerNetwork(p: {
    epochLength: number;
    genesisTime?: bigint;
    k: number;
    budget?: bigint;
  }): Promise<bigint>;
  registerOperator(signer: Address, peerId: string): Promise<void>;
  registerDevice(networkId: bigint, deviceId: Hex, owner?: Address): Promise<void>;
  /** Set a device's storage target, as the network's owner (its storage client). */
  setDeviceStorage(
    networkId: bigint,
    deviceId: Hex,
    root: Hex,
    chunks: number,
    chunkBytes: number,
  ): Promise<void>;
}

export async function deployChainFixture(anvil: Anvil): Promise<Deployed> {
  const account = privateKeyToAccount(ANVIL_KEY);
  const chain = { ...foundry, id: anvil.chainId };
  const transport = http(anvil.rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 50 });
  const wallet = createWalletClient({ account, chain, transport });
  const mined = async (hash: Promise<Hex>) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
    return receipt;
  };
  const deploy = async (file: string, args: readonly unknown[]) => {
    const { abi, bytecode } = loadArtifact(file);
    const receipt = await mined(wallet.deployContract({ abi, bytecode, args }));
    return receipt.contractAddress!;
  };

  const token = await deploy("VigilToken.sol", [account.address, 0n]);
  const registry = await deploy("VigilRegistry.sol", [token, account.address, 0n, parseEther("1")]);
  // The forwarder only matters to onReport; the deployer stands in for it here.
  const forwarder = account.address;
  const settlement = await deploy("VigilSettlement.sol", [registry, forwarder, account.address, 0]);
  await mined(
    wallet.writeContract({
      address: registry,
      abi: vigilRegistryAbi,
      functionName: "setSettlement",
      args: [settlement],
    }),
  );
  await mined(
    wallet.writeContract({
      address: token,
      abi: vigilTokenAbi,
      functionName: "grantMintAndBurnRoles",
      args: [account.address],
    }),
  );
  await mined(
    wallet.writeContract({
      address: token,
      abi: vigilTokenAbi,
      functionName: "mint",
      args: [account.address, parseEther("1000000")],
    }),
  );
  await mined(
    wallet.writeContract({
      address: token,
      abi: vigilTokenAbi,
      functionName: "approve",
      args: [registry, maxUint256],
    }),
  );

  return {
    publicClient,
    token,
    registry,
    settlement,
    forwarder,
    async registerNetwork({ epochLength, genesisTime = 0n, k, budget = parseEther("100") }) {
      const { result } = await publicClient.simulateContract({
        account,
        address: registry,
        abi: vigilRegistryAbi,
        functionName: "registerNetwork",
        args: [
          {
            rewardBudgetPerEpoch: budget,
            stakePerDevice: parseEther("1"),
            epochLength,
            genesisTime,
            challengePolicyId: 1,
            k,
          },
        ],
      });
      await mined(
        wallet.writeContract({
          address: registry,
          abi: vigilRegistryAbi,
          functionName: "registerNetwork",
          args: [
            {
              rewardBudgetPerEpoch: budget,
              stakePerDevice: parseEther("1"),
              epochLength,
              genesisTime,
              challengePolicyId: 1,
              k,
            },
          ],
        }),
      );
      return result;
    },
    async registerOperator(signer, peerId) {
      const bytes = toHex(peerIdFromString(peerId).toMultihash().bytes);
      await mined(
        wallet.writeContract({
          address: registry,
          abi: vigilRegistryAbi,
          functionName: "registerOperator",
          args: [signer, bytes, parseEther("1")],
        }),
      );
    },
    async registerDevice(networkId, deviceId, owner = account.address) {
      await mined(
        wallet.writeContract({
          address: registry,
          abi: vigilRegistryAbi,
          functionName: "registerDevice",
          args: [networkId, deviceId, owner],
        }),
      );
    },
    async setDeviceStorage(networkId, deviceId, root, chunks, chunkBytes) {
      await mined(
        wallet.writeContract({
          address: registry,
          abi: vigilRegistryAbi,
          functionName: "setDeviceStorage",
          args: [networkId, deviceId, root, chunks, chunkBytes],
        }),
      );
    },
  };
}

export { vigilSettlementAbi };
