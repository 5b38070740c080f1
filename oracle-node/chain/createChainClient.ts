import { createPublicClient, defineChain, fallback, http, type PublicClient, webSocket } from "viem";

export interface ChainClientOptions {
  rpcUrls: string[];
  chainId: number;
  /** Block and event polling interval; tests on anvil use ~50 ms. */
  pollingIntervalMs?: number;
}

/**
 * A viem public client over the configured RPC URLs, tried in order (viem's `fallback` moves to
 * the next URL when one fails).
 */
export function createChainClient(options: ChainClientOptions): PublicClient {
  const chain = defineChain({
    id: options.chainId,
    name: `vigil-home-${options.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: options.rpcUrls.filter((u) => u.startsWith("http")) } },
  });
  const transports = options.rpcUrls.map((url) =>
    url.startsWith("ws") ? webSocket(url, { retryCount: 2 }) : http(url, { retryCount: 2, timeout: 10_000 }),
  );
  return createPublicClient({
    chain,
    transport: transports.length === 1 ? transports[0]! : fallback(transports),
    pollingInterval: options.pollingIntervalMs ?? 1_000,
  });
}
