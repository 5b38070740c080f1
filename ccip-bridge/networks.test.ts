import { describe, expect, it } from "vitest";
import { CCIP_TESTNETS, ccipNetwork, ccipNetworksSchema } from "./networks.js";

describe("CCIP testnet config", () => {
  it("is well-formed: checksummed addresses, unique selectors, chain ids and contracts", () => {
    const parsed = ccipNetworksSchema.safeParse(CCIP_TESTNETS);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    expect(Object.keys(CCIP_TESTNETS).length).toBeGreaterThanOrEqual(3);
  });

  it("gives each network's contracts by name", () => {
    expect(ccipNetwork("ethereum-sepolia").chainSelector).toBe(16015286601757825753n);
    expect(ccipNetwork("base-sepolia").chainId).toBe(84532);
  });

  it("rejects a mistyped checksum, a repeated selector and a repeated contract", () => {
    const sepolia = CCIP_TESTNETS["ethereum-sepolia"];
    const badCase = { ...sepolia, router: sepolia.router.replace("0x0BF3", "0x0bF3") };
    expect(ccipNetworksSchema.safeParse({ a: badCase }).success).toBe(false);
    const base = CCIP_TESTNETS["base-sepolia"];
    const sameSelector = { ...base, chainSelector: sepolia.chainSelector };
    const result = ccipNetworksSchema.safeParse({ a: sepolia, b: sameSelector });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain("share chainSelector");
    const sameRouter = { ...base, router: sepolia.router };
    expect(
      JSON.stringify(ccipNetworksSchema.safeParse({ a: sepolia, b: sameRouter }).error?.issues),
    ).toContain("repeats");
  });
});
