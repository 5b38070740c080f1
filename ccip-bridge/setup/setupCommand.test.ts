import { type Command, CommanderError } from "commander";
import { parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil.js";
import { tokenAdminRegistryAbi, tokenPoolAbi } from "../abi.js";
import type { ChainClients } from "../deploy.js";
import { chainClients, laneChain } from "../lane/clients.js";
import { deployLaneChain, type LaneChainContracts } from "../lane/deployLaneChain.js";
import { ANVIL_DEPLOYER_KEY, ANVIL_RELAYER_KEY } from "../lane/startLocalLane.js";
import { setupCommand } from "./setupCommand.js";

describe("vigil bridge setup", () => {
  const anvils: Anvil[] = [];
  const clients: ChainClients[] = [];
  const deployed: LaneChainContracts[] = [];
  const selectors = [111n, 222n];

  beforeAll(async () => {
    for (const chainId of [41001, 41002]) anvils.push(await startAnvil({ chainId }));
    const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY);
    for (const [i, anvil] of anvils.entries()) {
      clients.push(chainClients(laneChain(anvil.chainId, `t${i}`, anvil.rpcUrl), deployer));
    }
    for (const i of [0, 1]) {
      deployed.push(
        await deployLaneChain({
          clients: clients[i] as ChainClients,
          chainSelector: selectors[i] as bigint,
          remoteChainSelector: selectors[1 - i] as bigint,
          relayer: privateKeyToAccount(ANVIL_RELAYER_KEY).address,
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(anvils.map((a) => a.stop()));
  });

  async function setup(key: string, ...args: string[]) {
    const lines: string[] = [];
    const command: Command = setupCommand((l) => lines.push(l), { VIGIL_PRIVATE_KEY: key });
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    try {
      await command.parseAsync(args, { from: "user" });
      return { lines };
    } catch (error) {
      if (error instanceof CommanderError) return { lines, error };
      throw error;
    }
  }

  const sideArgs = (s: "a" | "b", i: number) => {
    const d = deployed[i] as LaneChainContracts;
    return [
      `--rpc-${s}`,
      (anvils[i] as Anvil).rpcUrl,
      `--token-${s}`,
      d.token,
      `--selector-${s}`,
      String(selectors[i]),
      `--router-${s}`,
      d.router,
      `--rmn-${s}`,
      d.rmn,
      `--registry-${s}`,
      d.tokenAdminRegistry,
      `--module-${s}`,
      d.registryModule,
    ];
  };

  it("registers the token on both chains with pools, registry entries and rate limits", async () => {
    const { lines, error } = await setup(
      ANVIL_DEPLOYER_KEY,
      ...sideArgs("a", 0),
      ...sideArgs("b", 1),
      "--capacity",
      "500",
      "--rate",
      "2",
    );
    expect(error).toBeUndefined();
    const pools = lines.map((l) => l.split(" ").at(-1) as `0x${string}`);
    for (const i of [0, 1]) {
      const c = clients[i] as ChainClients;
      const d = deployed[i] as LaneChainContracts;
      const pool = pools[i] as `0x${string}`;
      expect(
        await c.public.readContract({
          address: d.tokenAdminRegistry,
          abi: tokenAdminRegistryAbi,
          functionName: "getPool",
          args: [d.token],
        }),
      ).toBe(pool);
      const [outbound, inbound] = await c.public.readContract({
        address: pool,
        abi: tokenPoolAbi,
        functionName: "getCurrentRateLimiterState",
        args: [selectors[1 - i] as bigint, false],
      });
      expect(outbound).toMatchObject({ isEnabled: true, capacity: parseEther("500"), rate: parseEther("2") });
      expect(inbound).toMatchObject({
        isEnabled: true,
        capacity: parseEther("550"),
        rate: parseEther("2.2"),
      });
    }
  });

  it("refuses a wallet that is not the token's CCIP admin, and a testnet name on the wrong chain", async () => {
    const stranger = await setup(
      ANVIL_RELAYER_KEY,
      ...sideArgs("a", 0),
      ...sideArgs("b", 1),
      "--capacity",
      "1",
      "--rate",
      "1",
    );
    expect(stranger.error?.code).toBe("bridge.UNAUTHORIZED");
    expect(stranger.error?.message).toContain("is not the CCIP admin");
    const d = deployed[1] as LaneChainContracts;
    const wrongNet = await setup(
      ANVIL_DEPLOYER_KEY,
      ...sideArgs("a", 0),
      "--rpc-b",
      (anvils[1] as Anvil).rpcUrl,
      "--token-b",
      d.token,
      "--network-b",
      "base-sepolia",
      "--capacity",
      "1",
      "--rate",
      "1",
    );
    expect(wrongNet.error?.code).toBe("bridge.CONFIG");
    expect(wrongNet.error?.message).toContain("not base-sepolia");
    const missing = await setup(
      ANVIL_DEPLOYER_KEY,
      ...sideArgs("a", 0),
      "--rpc-b",
      (anvils[1] as Anvil).rpcUrl,
      "--token-b",
      d.token,
      "--capacity",
      "1",
      "--rate",
      "1",
    );
    expect(missing.error?.code).toBe("bridge.INVALID_INPUT");
  });
});
