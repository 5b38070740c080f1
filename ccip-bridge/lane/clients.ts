import { type Account, type Chain, createPublicClient, createWalletClient, defineChain, http } from "viem";
import type { ChainClients } from "../deploy.js";

/** A viem chain for an RPC the lane uses; local chains have no public definition. */
export function laneChain(chainId: number, name: string, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/**
 * Clients for one chain. `pollingInterval` is short because the devnet's anvil mines on every
 * transaction; waiting the default 4 s per receipt would dominate every transfer.
 */
export function chainClients(chain: Chain, account: Account, pollingInterval = 50): ChainClients {
  const transport = http(chain.rpcUrls.default.http[0], { batch: false, retryCount: 2 });
  return {
    wallet: createWalletClient({ chain, account, transport, pollingInterval }),
    public: createPublicClient({ chain, transport, pollingInterval }),
  };
}
