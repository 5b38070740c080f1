import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
} from "viem";
import { nonceManager, privateKeyToAccount } from "viem/accounts";
import type { DevnetWallet } from "./register";

/** anvil's first well-known dev key: the devnet's deployer, network owner and token admin. */
export const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export interface ChainClients {
  chain: Chain;
  public: PublicClient<Transport, Chain>;
  wallet: DevnetWallet;
}

/**
 * viem clients for one devnet chain. The account's nonce manager lets the devnet send many
 * transactions at once (device registrations, claims); 50 ms polling suits anvil's instant mining.
 */
export function devnetClients(
  chainId: number,
  name: string,
  rpcUrl: string,
  key: Hex = DEPLOYER_KEY,
): ChainClients {
  const chain = defineChain({
    id: chainId,
    name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl, { retryCount: 2 });
  const account: Account = privateKeyToAccount(key, { nonceManager });
  return {
    chain,
    public: createPublicClient({ chain, transport, pollingInterval: 50 }),
    wallet: createWalletClient({ chain, account, transport, pollingInterval: 50 }),
  };
}
