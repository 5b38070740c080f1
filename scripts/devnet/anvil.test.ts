import { createPublicClient, createTestClient, http, parseEther, walletActions } from "viem";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Anvil, startAnvil } from "./anvil";

describe("startAnvil", () => {
  let anvil: Anvil;
  beforeAll(async () => {
    anvil = await startAnvil({ chainId: 31337 });
  });
  afterAll(async () => {
    await anvil.stop();
  });

  it("serves a real chain that viem can read and write", async () => {
    const chain = { ...foundry, rpcUrls: { default: { http: [anvil.rpcUrl] } } };
    const publicClient = createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const testClient = createTestClient({ chain, mode: "anvil", transport: http(anvil.rpcUrl) }).extend(
      walletActions,
    );
    expect(await publicClient.getChainId()).toBe(31337);

    const [from] = await testClient.getAddresses();
    const to = "0x000000000000000000000000000000000000dEaD";
    const hash = await testClient.sendTransaction({ account: from!, to, value: parseEther("1.5") });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    expect(await publicClient.getBalance({ address: to })).toBe(parseEther("1.5"));
  });

  it("gives each instance its own port", async () => {
    const second = await startAnvil({ chainId: 31338 });
    try {
      expect(second.port).not.toBe(anvil.port);
      const client = createPublicClient({ transport: http(second.rpcUrl) });
      expect(await client.getChainId()).toBe(31338);
    } finally {
      await second.stop();
    }
  });
});
