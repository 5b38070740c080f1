import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  parseEther,
  toFunctionSelector,
  toHex,
  zeroAddress,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deployment, loadArtifact, vigilRegistryAbi, vigilTokenAbi } from "../../contracts/index";
import { type Anvil, startAnvil } from "../devnet/anvil";
import { DeployError, deployVigil } from "./deploy";

// anvil's first default account.
const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const deployer = privateKeyToAccount(DEPLOYER_KEY);
const guardian = privateKeyToAccount(generatePrivateKey()).address;
const donSigners = Array.from({ length: 4 }, () => privateKeyToAccount(generatePrivateKey()).address);
const TIMELOCK_DELAY = 3_600n;

let anvil: Anvil;
beforeAll(async () => {
  anvil = await startAnvil();
});
afterAll(async () => {
  await anvil?.stop();
});

describe("deployVigil with governance", () => {
  let d: Deployment;
  const timelockAbi = loadArtifact("TimelockController.sol").abi;
  const governorAbi = loadArtifact("VigilGovernor.sol").abi;
  const forwarderAbi = loadArtifact("KeystoneForwarder.sol").abi;

  beforeAll(async () => {
    d = await deployVigil({
      rpcUrl: anvil.rpcUrl,
      privateKey: DEPLOYER_KEY,
      signers: donSigners,
      f: 1,
      mint: [{ to: deployer.address, amount: parseEther("1000") }],
      governance: {
        votingDelay: 1,
        votingPeriod: 5,
        timelockDelay: TIMELOCK_DELAY,
        quorumPercent: 4,
        guardian,
      },
    });
  });

  it("hands registry, settlement and forwarder to the timelock and keeps no role", async () => {
    const client = createPublicClient({ transport: http(anvil.rpcUrl) });
    expect(d.timelock).toBeDefined();
    expect(d.guardian).toBe(guardian);
    const timelock = d.timelock as Address;
    for (const address of [d.registry, d.settlement, d.forwarder]) {
      expect(await client.readContract({ address, abi: forwarderAbi, functionName: "owner" })).toBe(timelock);
    }
    for (const address of [d.registry, d.settlement]) {
      expect(await client.readContract({ address, abi: vigilRegistryAbi, functionName: "guardian" })).toBe(
        guardian,
      );
    }
    expect(
      await client.readContract({ address: timelock, abi: timelockAbi, functionName: "getMinDelay" }),
    ).toBe(TIMELOCK_DELAY);
    const read = (functionName: string) =>
      client.readContract({ address: timelock, abi: timelockAbi, functionName }) as Promise<Hex>;
    for (const role of await Promise.all(
      ["DEFAULT_ADMIN_ROLE", "PROPOSER_ROLE", "CANCELLER_ROLE"].map(read),
    )) {
      expect(
        await client.readContract({
          address: timelock,
          abi: timelockAbi,
          functionName: "hasRole",
          args: [role, deployer.address],
        }),
      ).toBe(false);
    }
    expect(
      await client.readContract({
        address: timelock,
        abi: timelockAbi,
        functionName: "hasRole",
        args: [await read("PROPOSER_ROLE"), d.governor],
      }),
    ).toBe(true);
  });

  it("leaves the deployer no role and no ownership anywhere: VGL's admin and CCIP admin are the timelock", async () => {
    const client = createPublicClient({ transport: http(anvil.rpcUrl) });
    const timelock = d.timelock as Address;
    const has = (address: Address, abi: typeof vigilTokenAbi, role: Hex, account: Address) =>
      client.readContract({ address, abi, functionName: "hasRole", args: [role, account] });
    const tokenRole = (functionName: "DEFAULT_ADMIN_ROLE" | "MINTER_ROLE" | "BURNER_ROLE") =>
      client.readContract({ address: d.token, abi: vigilTokenAbi, functionName });
    for (const role of await Promise.all(
      (["DEFAULT_ADMIN_ROLE", "MINTER_ROLE", "BURNER_ROLE"] as const).map(tokenRole),
    ))
      expect(await has(d.token, vigilTokenAbi, role, deployer.address)).toBe(false);
    expect(await has(d.token, vigilTokenAbi, await tokenRole("DEFAULT_ADMIN_ROLE"), timelock)).toBe(true);
    expect(
      await client.readContract({ address: d.token, abi: vigilTokenAbi, functionName: "getCCIPAdmin" }),
    ).toBe(timelock);
    // OpenZeppelin's Ownable2Step: accepted, nothing left pending (the forwarder's pending owner is private;
    // its owner() above changes only on acceptance).
    for (const address of [d.registry, d.settlement])
      expect(
        await client.readContract({ address, abi: vigilRegistryAbi, functionName: "pendingOwner" }),
      ).toBe(zeroAddress);
    const timelockRoles = await Promise.all(
      ["DEFAULT_ADMIN_ROLE", "PROPOSER_ROLE", "CANCELLER_ROLE"].map(
        (functionName) =>
          client.readContract({ address: timelock, abi: timelockAbi, functionName }) as Promise<Hex>,
      ),
    );
    for (const role of timelockRoles)
      expect(
        await client.readContract({
          address: timelock,
          abi: timelockAbi,
          functionName: "hasRole",
          args: [role, deployer.address],
        }),
      ).toBe(false);
  });

  it("changes a parameter only by proposal, vote, queue and the delay", async () => {
    const transport = http(anvil.rpcUrl);
    const client = createPublicClient({ transport, pollingInterval: 50 });
    const wallet = createWalletClient({
      account: deployer,
      chain: { ...foundry, id: anvil.chainId },
      transport,
    });
    const test = createTestClient({ mode: "anvil", transport });
    const governor = d.governor as Address;
    const send = async (address: Address, abi: typeof governorAbi, functionName: string, args: unknown[]) => {
      const hash = await wallet.writeContract({ address, abi, functionName, args });
      expect((await client.waitForTransactionReceipt({ hash, pollingInterval: 50 })).status).toBe("success");
    };

    // The old owner's key no longer reconfigures anything.
    await expect(
      wallet.writeContract({
        address: d.registry,
        abi: vigilRegistryAbi,
        functionName: "setUnbondingDelay",
        args: [86_400n],
      }),
    ).rejects.toThrow(/OwnableUnauthorizedAccount/);

    await send(d.token, vigilTokenAbi, "delegate", [deployer.address]);
    await test.mine({ blocks: 1 });
    const targets = [d.registry];
    const values = [0n];
    const calls = [
      encodeFunctionData({ abi: vigilRegistryAbi, functionName: "setUnbondingDelay", args: [3n * 86_400n] }),
    ];
    const description = "Unbonding delay 3 days";
    const descriptionHash = keccak256(toHex(description));
    await send(governor, governorAbi, "propose", [targets, values, calls, description]);
    await test.mine({ blocks: 2 });
    const proposalId = await client.readContract({
      address: governor,
      abi: governorAbi,
      functionName: "hashProposal",
      args: [targets, values, calls, descriptionHash],
    });
    await send(governor, governorAbi, "castVote", [proposalId, 1]);
    await test.mine({ blocks: 6 });
    await send(governor, governorAbi, "queue", [targets, values, calls, descriptionHash]);
    await expect(
      wallet.writeContract({
        address: governor,
        abi: governorAbi,
        functionName: "execute",
        args: [targets, values, calls, descriptionHash],
      }),
    ).rejects.toThrow(toFunctionSelector("TimelockUnexpectedOperationState(bytes32,bytes32)"));
    await test.increaseTime({ seconds: Number(TIMELOCK_DELAY) });
    await test.mine({ blocks: 1 });
    await send(governor, governorAbi, "execute", [targets, values, calls, descriptionHash]);
    expect(
      await client.readContract({
        address: d.registry,
        abi: vigilRegistryAbi,
        functionName: "unbondingDelay",
      }),
    ).toBe(3n * 86_400n);
  });

  it("rejects bad governance options before any transaction", async () => {
    await expect(
      deployVigil({
        rpcUrl: anvil.rpcUrl,
        privateKey: DEPLOYER_KEY,
        signers: donSigners,
        f: 1,
        governance: { quorumPercent: 101 },
      }),
    ).rejects.toBeInstanceOf(DeployError);
  });
});
