import {
  type Address,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type LocalAccount,
} from "viem";
import { evmClient, type WriteRecord } from "./capabilities/evm";
import { httpActions } from "./capabilities/http";
import type { Capability } from "./capabilities/types";
import { roundLeader } from "./consensus";

/** One chain a node serves the EVM capability for. */
export interface NodeChainConfig {
  /** CRE chain selector (the SDK's `getNetwork(...).chainSelector.selector`; anvil: 7759470850252068959). */
  chainSelector: bigint;
  chainId: number;
  rpcUrl: string;
  /** The `KeystoneForwarder` reports go through. */
  forwarder: Address;
  /** Pays for this node's forwarder transactions. */
  transmitter: LocalAccount;
}

export interface NodeCapabilitiesOptions {
  chains: NodeChainConfig[];
  /** This node's index in the DON and the DON's size: they set its place in the transmission schedule. */
  self: number;
  donSize: number;
  /** Delay between one node's turn to transmit and the next's (default 1500 ms). */
  transmitDelayMs?: number;
  simulateWrites?: boolean;
  onWrite?: (write: WriteRecord) => void;
  /** viem polling interval for receipts, in ms (default 50, right for anvil). */
  pollingInterval?: number;
  http?: { maxResponseBytes?: number; timeoutMs?: number; fetch?: typeof fetch };
}

/** The capabilities an oracle node serves its workflows besides consensus: HTTP actions and EVM per chain. */
export function createNodeCapabilities(opts: NodeCapabilitiesOptions): Capability[] {
  const caps: Capability[] = [
    httpActions({
      // CRE's HTTP action caps responses at 100 KB (docs.chain.link/cre/service-quotas).
      maxResponseBytes: opts.http?.maxResponseBytes ?? 100 * 1024,
      timeoutMs: opts.http?.timeoutMs ?? 60_000,
      fetch: opts.http?.fetch,
    }),
  ];
  for (const c of opts.chains) {
    const chain = defineChain({
      id: c.chainId,
      name: `chain-${c.chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [c.rpcUrl] } },
    });
    const transport = http(c.rpcUrl);
    const pollingInterval = opts.pollingInterval ?? 50;
    caps.push(
      evmClient({
        chainSelector: c.chainSelector,
        publicClient: createPublicClient({ chain, transport, pollingInterval }),
        walletClient: createWalletClient({ chain, transport, account: c.transmitter, pollingInterval }),
        forwarder: c.forwarder,
        transmitRank: (executionId: Hex) =>
          (opts.self - roundLeader(executionId, opts.donSize) + opts.donSize) % opts.donSize,
        transmitDelayMs: opts.transmitDelayMs ?? 1500,
        simulateWrites: opts.simulateWrites,
        onWrite: opts.onWrite,
      }),
    );
  }
  return caps;
}
