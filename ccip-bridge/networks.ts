import { type Address, getAddress, isAddress } from "viem";
import { z } from "zod";

/**
 * Chainlink CCIP on public testnets: the router, RMN proxy, TokenAdminRegistry and
 * RegistryModuleOwnerCustom that `setupCrossChainToken` and the bridge client use instead of the local
 * lane's contracts. Source: Chainlink's CCIP Directory (docs.chain.link/ccip/directory/testnet), one
 * page per chain, read 2026-11; check there before a deployment, Chainlink moves these on upgrades.
 * Nothing in this repository can reach these networks; the test checks the table is well-formed.
 */
export const CCIP_TESTNETS = {
  "ethereum-sepolia": {
    chainId: 11155111,
    chainSelector: 16015286601757825753n,
    router: "0x0BF3dE8c5D3e8A2B34D2BEeB17ABfCeBaf363A59",
    rmnProxy: "0xba3f6251de62dED61Ff98590cB2fDf6871FbB991",
    tokenAdminRegistry: "0x95F29FEE11c5C55d26cCcf1DB6772DE953B37B82",
    registryModuleOwnerCustom: "0x62e731218d0D47305aba2BE3751E7EE9E5520790",
    directory: "https://docs.chain.link/ccip/directory/testnet/chain/ethereum-testnet-sepolia",
  },
  "base-sepolia": {
    chainId: 84532,
    chainSelector: 10344971235874465080n,
    router: "0xD3b06cEbF099CE7DA4AcCf578aaebFDBd6e88a93",
    rmnProxy: "0x99360767a4705f68CcCb9533195B761648d6d807",
    tokenAdminRegistry: "0x736D0bBb318c1B27Ff686cd19804094E66250e17",
    registryModuleOwnerCustom: "0x8A55C61227f26a3e2f217842eCF20b52007bAaBe",
    directory: "https://docs.chain.link/ccip/directory/testnet/chain/ethereum-testnet-sepolia-base-1",
  },
  "arbitrum-sepolia": {
    chainId: 421614,
    chainSelector: 3478487238524512106n,
    router: "0x2a9C5afB0d0e4BAb2BCdaE109EC4b0c4Be15a165",
    rmnProxy: "0x9527E2d01A3064ef6b50c1Da1C0cC523803BCFF2",
    tokenAdminRegistry: "0x8126bE56454B628a88C17849B9ED99dd5a11Bd2f",
    registryModuleOwnerCustom: "0xE625f0b8b0Ac86946035a7729Aba124c8A64cf69",
    directory: "https://docs.chain.link/ccip/directory/testnet/chain/ethereum-testnet-sepolia-arbitrum-1",
  },
} as const satisfies Record<string, CcipNetworkInput>;

export type CcipNetworkName = keyof typeof CCIP_TESTNETS;

interface CcipNetworkInput {
  chainId: number;
  chainSelector: bigint;
  router: string;
  rmnProxy: string;
  tokenAdminRegistry: string;
  registryModuleOwnerCustom: string;
  directory: string;
}

/** A checksummed address: mixed case must match EIP-55, so a mistyped letter is caught. */
const checksummed = z
  .string()
  .refine(
    (value) => isAddress(value, { strict: true }) && getAddress(value) === value,
    "not an EIP-55 address",
  )
  .transform((value) => value as Address);

export const ccipNetworkSchema = z.object({
  chainId: z.number().int().positive(),
  chainSelector: z
    .bigint()
    .positive()
    .max(2n ** 64n - 1n),
  router: checksummed,
  rmnProxy: checksummed,
  tokenAdminRegistry: checksummed,
  registryModuleOwnerCustom: checksummed,
  directory: z.url().startsWith("https://docs.chain.link/ccip/directory/"),
});
export type CcipNetwork = z.output<typeof ccipNetworkSchema>;

export const ccipNetworksSchema = z
  .record(z.string().regex(/^[a-z0-9-]+$/), ccipNetworkSchema)
  .superRefine((networks, ctx) => {
    const entries = Object.entries(networks);
    for (const key of ["chainId", "chainSelector"] as const) {
      const seen = new Map<string, string>();
      for (const [name, n] of entries) {
        const value = String(n[key]);
        const other = seen.get(value);
        if (other) ctx.addIssue({ code: "custom", message: `${name} and ${other} share ${key} ${value}` });
        seen.set(value, name);
      }
    }
    // One contract cannot serve two chains: a copy-paste slip shows up as a repeated address.
    const addresses = new Map<string, string>();
    for (const [name, n] of entries) {
      for (const role of ["router", "rmnProxy", "tokenAdminRegistry", "registryModuleOwnerCustom"] as const) {
        const other = addresses.get(n[role]);
        if (other) ctx.addIssue({ code: "custom", message: `${name}.${role} repeats ${other}` });
        addresses.set(n[role], `${name}.${role}`);
      }
    }
  });

/** The CCIP contracts of a named testnet. */
export function ccipNetwork(name: CcipNetworkName): CcipNetwork {
  return ccipNetworkSchema.parse(CCIP_TESTNETS[name]);
}
