import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, CommanderError } from "commander";
import { parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenAbi } from "./abi.js";
import { bridgeCommand } from "./cli.js";
import { chainClients, laneChain } from "./lane/clients.js";
import { type LocalLane, startLocalLane } from "./lane/startLocalLane.js";
import { type Relayer, startRelayer } from "./relayer/startRelayer.js";

describe("vigil bridge", () => {
  let lane: LocalLane;
  let relayer: Relayer;
  let dir: string;
  let laneFile: string;
  const receiver = "0x00000000000000000000000000000000000b0b00";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vigil-bridge-cli-"));
    laneFile = join(dir, "lane.json");
    lane = await startLocalLane({
      configFile: laneFile,
      rateLimit: { isEnabled: true, capacity: parseEther("1000"), rate: parseEther("1") },
    });
    relayer = startRelayer({
      lane: lane.config,
      privateKey: lane.relayerKey,
      dbPath: join(dir, "relayer.db"),
    });
    // The deployer is the token admin: let it mint itself something to send.
    const a = lane.config.chains[0];
    const deployer = privateKeyToAccount(lane.deployerKey);
    const c = chainClients(laneChain(a.chainId, a.name, a.rpcUrl), deployer);
    await c.public.waitForTransactionReceipt({
      hash: await c.wallet.writeContract({
        address: a.token,
        abi: tokenAbi,
        functionName: "grantMintAndBurnRoles",
        args: [deployer.address],
      }),
    });
    await c.public.waitForTransactionReceipt({
      hash: await c.wallet.writeContract({
        address: a.token,
        abi: tokenAbi,
        functionName: "mint",
        args: [deployer.address, parseEther("5000")],
      }),
    });
  }, 60_000);

  afterAll(async () => {
    await relayer?.stop();
    await lane?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function vigil(...args: string[]): Promise<{ lines: string[]; error?: CommanderError }> {
    const lines: string[] = [];
    const command = bridgeCommand({
      print: (l) => lines.push(l),
      env: { VIGIL_PRIVATE_KEY: lane.deployerKey },
    });
    const quiet = (c: Command) => {
      c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
      c.commands.forEach(quiet);
    };
    quiet(command);
    try {
      await command.parseAsync(args, { from: "user" });
      return { lines };
    } catch (error) {
      if (error instanceof CommanderError) return { lines, error };
      throw error;
    }
  }

  it("sends and follows a transfer until delivered, then reports it by id", async () => {
    const { lines, error } = await vigil(
      "send",
      "--from",
      "vigil-a",
      "--to",
      "vigil-b",
      "--amount",
      "12.5",
      "--to-address",
      receiver,
      "--lane",
      laneFile,
    );
    expect(error).toBeUndefined();
    expect(lines[0]).toBe(`sent 12.5 VGL vigil-a -> vigil-b to ${receiver.replace("b0b00", "B0b00")}`);
    expect(lines.at(-1)).toMatch(/^delivered: 12\.5 VGL vigil-a -> vigil-b/);
    const id = /message id (0x[0-9a-f]{64})/.exec(lines[1] ?? "")?.[1] as string;
    const status = await vigil("status", id, "--once", "--lane", laneFile);
    expect(status.lines).toEqual([expect.stringMatching(/^delivered: 12\.5 VGL vigil-a -> vigil-b/)]);
  });

  it("explains a transfer above the rate limit and bad input, sending nothing", async () => {
    const above = await vigil(
      "send",
      "--from",
      "vigil-a",
      "--to",
      "vigil-b",
      "--amount",
      "1500",
      "--to-address",
      receiver,
      "--lane",
      laneFile,
    );
    expect(above.error?.exitCode).toBe(1);
    expect(above.error?.code).toBe("bridge.RATE_LIMIT_CAPACITY");
    expect(above.error?.message).toContain(
      "transfer of 1500 VGL exceeds the outbound rate limit bucket (capacity 1000 VGL",
    );
    expect(above.lines).toEqual([]);

    const badAddress = await vigil(
      "send",
      "--from",
      "vigil-a",
      "--to",
      "vigil-b",
      "--amount",
      "1",
      "--to-address",
      "0x12",
      "--lane",
      laneFile,
    );
    expect(badAddress.error?.code).toBe("commander.invalidArgument");
    const badChain = await vigil(
      "send",
      "--from",
      "mars",
      "--to",
      "vigil-b",
      "--amount",
      "1",
      "--to-address",
      receiver,
      "--lane",
      laneFile,
    );
    expect(badChain.error?.message).toContain('unknown chain "mars"');
    const unknownId = await vigil("status", `0x${"00".repeat(32)}`, "--once", "--lane", laneFile);
    expect(unknownId.error?.code).toBe("bridge.NOT_FOUND");
    const noLane = await vigil("status", `0x${"00".repeat(32)}`, "--lane", join(dir, "missing.json"));
    expect(noLane.error?.code).toBe("bridge.CONFIG");
  });
});
