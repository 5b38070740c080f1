import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  concatHex,
  createPublicClient,
  createWalletClient,
  type Hex,
  hashTypedData,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildLinesTree,
  type Deployment,
  type DeviceLine,
  encodeEpochSettlementReport,
  equivocationCommitment,
  genesisBeacon,
  keystoneForwarderAbi,
  lineProof,
  loadDeployment,
  nextBeacon,
  resultVoteDomain,
  resultVoteTypes,
  vigilRegistryAbi,
  vigilSettlementAbi,
  vigilTokenAbi,
} from "../../contracts/index";
import { rawReport, signReport } from "../contracts/forwarderReport";
import { type Anvil, startAnvil } from "../devnet/anvil";
import { DeployError, deployVigil, main, workflowNameBytes10 } from "./deploy";

// anvil's first default account.
const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const deployer = privateKeyToAccount(DEPLOYER_KEY);
const donKeys = Array.from({ length: 4 }, () => generatePrivateKey());
const donSigners = donKeys.map((k) => privateKeyToAccount(k).address);
const workflowOwner = privateKeyToAccount(generatePrivateKey()).address;
const settleName = workflowNameBytes10("epoch-settlement");

let anvil: Anvil;

beforeAll(async () => {
  anvil = await startAnvil();
});
afterAll(async () => {
  await anvil?.stop();
});

describe("deployVigil", () => {
  let deployment: Deployment;
  let outFile: string;

  beforeAll(async () => {
    outFile = join(mkdtempSync(join(tmpdir(), "vigil-deploy-")), "deployment.json");
    deployment = await deployVigil({
      rpcUrl: anvil.rpcUrl,
      privateKey: DEPLOYER_KEY,
      signers: donSigners,
      f: 1,
      workflows: [{ kind: 1, owner: workflowOwner, name: settleName }],
      network: { rewardBudgetPerEpoch: parseEther("1000"), stakePerDevice: 0n, epochLength: 1, k: 3 },
      mint: [{ to: deployer.address, amount: parseEther("10000") }],
      fees: { feePerDeviceEpoch: parseEther("0.01"), burnBps: 2_000, operatorBps: 5_000 },
      gasReimbursement: { vglPerEth: parseEther("3000"), maxGasPriceWei: 100n * 10n ** 9n },
      out: outFile,
    });
  });

  it("deploys, wires and writes the deployment file", async () => {
    const client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
    expect(deployment.chainId).toBe(anvil.chainId);
    expect(deployment.networkId).toBe(1);
    expect(loadDeployment(outFile)).toEqual(deployment);
    expect(JSON.parse(readFileSync(outFile, "utf8")).settlement).toBe(deployment.settlement);
    for (const a of [deployment.token, deployment.forwarder, deployment.registry, deployment.settlement]) {
      expect(await client.getCode({ address: a })).toMatch(/^0x[0-9a-f]{10,}/);
    }
    const read = <T>(address: Hex, abi: readonly unknown[], functionName: string, args: unknown[] = []) =>
      client.readContract({
        address,
        abi: abi as never,
        functionName: functionName as never,
        args: args as never,
      }) as Promise<T>;
    expect(await read(deployment.registry, vigilRegistryAbi, "settlement")).toBe(deployment.settlement);
    expect(await read(deployment.settlement, vigilSettlementAbi, "forwarder")).toBe(deployment.forwarder);
    expect(await read(deployment.settlement, vigilSettlementAbi, "workflow", [1])).toEqual({
      owner: workflowOwner,
      name: settleName,
    });
    expect(await read(deployment.token, vigilTokenAbi, "balanceOf", [deployer.address])).toBe(
      parseEther("10000"),
    );
    // The deployer gave its temporary mint role back.
    const minter = await read<Hex>(deployment.token, vigilTokenAbi, "MINTER_ROLE");
    expect(await read(deployment.token, vigilTokenAbi, "hasRole", [minter, deployer.address])).toBe(false);
    // The settlement burns the burn share of its fees; fees and reimbursement as passed.
    const burner = await read<Hex>(deployment.token, vigilTokenAbi, "BURNER_ROLE");
    expect(await read(deployment.token, vigilTokenAbi, "hasRole", [burner, deployment.settlement])).toBe(
      true,
    );
    expect(await read(deployment.settlement, vigilSettlementAbi, "feePerDeviceEpoch")).toBe(
      parseEther("0.01"),
    );
    expect(await read(deployment.settlement, vigilSettlementAbi, "feeBurnBps")).toBe(2_000);
    expect(await read(deployment.settlement, vigilSettlementAbi, "feeOperatorBps")).toBe(5_000);
    expect(await read(deployment.settlement, vigilSettlementAbi, "vglPerEth")).toBe(parseEther("3000"));
    expect(await read(deployment.settlement, vigilSettlementAbi, "maxGasPriceWei")).toBe(100n * 10n ** 9n);
  });

  it("settles a TypeScript-built tree through the forwarder and pays a claim with its proof", async () => {
    const client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const wallet = createWalletClient({ account: deployer, transport: http(anvil.rpcUrl), chain: foundry });
    const wait = async (hash: Hex) => {
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      expect(receipt.status).toBe("success");
    };
    const networkId = 1n;
    await wait(
      await wallet.writeContract({
        address: deployment.token,
        abi: vigilTokenAbi,
        functionName: "approve",
        args: [deployment.settlement, parseEther("5000")],
      }),
    );
    await wait(
      await wallet.writeContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: "depositBudget",
        args: [networkId, parseEther("5000")],
      }),
    );

    const ownerKeys = Array.from({ length: 50 }, () => generatePrivateKey());
    const lines: DeviceLine[] = Array.from({ length: 50 }, (_, i) => ({
      networkId,
      epoch: 0n,
      deviceId: keccak256(toHex(`device-${i}`)),
      owner: privateKeyToAccount(ownerKeys[i]!).address,
      uptimeBps: 9000 + i,
      work: BigInt(100 + i),
      reward: parseEther("10") + BigInt(i),
      slash: 0n,
    }));
    const tree = buildLinesTree(lines);
    const root = tree.root as Hex;
    const totalReward = lines.reduce((sum, l) => sum + l.reward, 0n);
    // The registry knows 5 of the 50 devices (stake 0 in this network): the fee counts at most those.
    for (const l of lines.slice(0, 5))
      await wait(
        await wallet.writeContract({
          address: deployment.registry,
          abi: vigilRegistryAbi,
          functionName: "registerDevice",
          args: [networkId, l.deviceId, l.owner],
        }),
      );
    // The observations the result came from, by observers that are not registered operators: their share
    // of the fee goes to the treasury.
    const observations = donSigners
      .map((observer, i) => ({ observer, hash: keccak256(toHex(`observation-${i}`)) }))
      .sort((a, b) => (a.observer.toLowerCase() < b.observer.toLowerCase() ? -1 : 1));
    const body = encodeEpochSettlementReport({
      networkId,
      epoch: 0n,
      resultRoot: root,
      observationsCommitment: keccak256(concatHex(observations.flatMap((o) => [o.observer, o.hash]))),
      deviceCount: lines.length,
      qualifiedCount: lines.length,
      totalReward,
      totalSlash: 0n,
      slashes: [],
      observations,
    });
    const supplyBefore = await client.readContract({
      address: deployment.token,
      abi: vigilTokenAbi,
      functionName: "totalSupply",
    });
    // Epoch 0 is 1 s long: let it end.
    await client.request({ method: "evm_increaseTime" as never, params: [5] as never });
    const raw = rawReport(
      {
        executionId: keccak256(toHex("execution-1")),
        timestamp: Math.floor(Date.now() / 1000),
        donId: 1,
        configVersion: 1,
        workflowCid: keccak256(toHex("cid")),
        workflowName: settleName,
        workflowOwner,
        reportId: "0x0001",
      },
      body,
    );
    const context = keccak256(toHex("context"));
    const signatures = await signReport(raw, context, donKeys.slice(0, 2));
    await wait(
      await wallet.writeContract({
        address: deployment.forwarder,
        abi: keystoneForwarderAbi,
        functionName: "report",
        args: [deployment.settlement, raw, context, signatures],
        // The forwarder catches a failing receiver, so an estimate can starve `onReport`: give it room.
        gas: 1_000_000n,
      }),
    );

    const read = (functionName: string, args: unknown[]) =>
      client.readContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: functionName as never,
        args: args as never,
      });
    expect(await read("latestEpoch", [networkId])).toBe(0n);
    expect(await read("beacon", [networkId])).toBe(nextBeacon(genesisBeacon(networkId), root));
    // Fee: 50 qualified devices reported, 5 registered: 5 device-epochs at 0.01 VGL = 0.05 VGL; 20% burned,
    // 50% to operators (none registered: treasury), 30% treasury.
    expect(
      supplyBefore -
        (await client.readContract({
          address: deployment.token,
          abi: vigilTokenAbi,
          functionName: "totalSupply",
        })),
    ).toBe(parseEther("0.01"));
    expect(await read("treasuryAccrued", [])).toBe(parseEther("0.04"));
    expect(await read("budgetOf", [networkId])).toBe(parseEther("5000") - totalReward - parseEther("0.05"));
    const line = lines[17]!;
    const proof = lineProof(tree, line);
    expect(await read("verifyLine", [networkId, 0n, line, proof])).toBe(true);
    expect(await read("verifyLine", [networkId, 0n, { ...line, reward: line.reward + 1n }, proof])).toBe(
      false,
    );

    const claim = {
      address: deployment.settlement,
      abi: vigilSettlementAbi,
      functionName: "claim",
      args: [networkId, 0n, line, proof],
    } as const;
    // Only the line's owner may claim it (a third party's claim would spend the owner's claimAndCall).
    await expect(client.simulateContract({ ...claim, account: deployer })).rejects.toThrow(/NotLineOwner/);
    await wait(await wallet.sendTransaction({ to: line.owner, value: parseEther("1") }));
    const owner = createWalletClient({
      account: privateKeyToAccount(ownerKeys[17]!),
      transport: http(anvil.rpcUrl),
      chain: foundry,
    });
    await wait(await owner.writeContract(claim));
    expect(
      await client.readContract({
        address: deployment.token,
        abi: vigilTokenAbi,
        functionName: "balanceOf",
        args: [line.owner],
      }),
    ).toBe(line.reward);
  });
  it("slashes an oracle for two conflicting ResultVotes signed in TypeScript", async () => {
    const client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const wallet = createWalletClient({ account: deployer, transport: http(anvil.rpcUrl), chain: foundry });
    const wait = async (hash: Hex) => {
      const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      expect(receipt.status).toBe("success");
    };
    const oracle = privateKeyToAccount(generatePrivateKey());
    const stake = parseEther("100");
    await wait(
      await wallet.writeContract({
        address: deployment.token,
        abi: vigilTokenAbi,
        functionName: "approve",
        args: [deployment.registry, stake],
      }),
    );
    await wait(
      await wallet.writeContract({
        address: deployment.registry,
        abi: vigilRegistryAbi,
        functionName: "registerOperator",
        args: [oracle.address, "0x0024080112201234", stake],
      }),
    );
    const domain = resultVoteDomain(anvil.chainId, deployment.settlement);
    const voteA = {
      networkId: 1n,
      epoch: 7n,
      resultRoot: keccak256(toHex("root-a")),
      observationsCommitment: keccak256(toHex("obs")),
    };
    const voteB = { ...voteA, resultRoot: keccak256(toHex("root-b")) };
    const signVote = (message: typeof voteA) =>
      oracle.signTypedData({ domain, types: resultVoteTypes, primaryType: "ResultVote", message });
    // The digest the contract verifies is the one viem signs.
    expect(
      await client.readContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: "resultVoteDigest",
        args: [voteA],
      }),
    ).toBe(hashTypedData({ domain, types: resultVoteTypes, primaryType: "ResultVote", message: voteA }));
    const treasuryBefore = await client.readContract({
      address: deployment.token,
      abi: vigilTokenAbi,
      functionName: "balanceOf",
      args: [deployer.address],
    });
    // Commit, then reveal in a later block (automine: the next transaction is the next block).
    const sigA = await signVote(voteA);
    const sigB = await signVote(voteB);
    const salt = keccak256(toHex("deploy-test salt"));
    await wait(
      await wallet.writeContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: "commitEquivocation",
        args: [equivocationCommitment(deployer.address, sigA, sigB, salt)],
      }),
    );
    await wait(
      await wallet.writeContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: "slashEquivocation",
        args: [voteA, sigA, voteB, sigB, salt],
      }),
    );
    const operator = await client.readContract({
      address: deployment.registry,
      abi: vigilRegistryAbi,
      functionName: "getOperator",
      args: [oracle.address],
    });
    expect(operator.stake).toBe(0n);
    expect(operator.slashed).toBe(stake);
    // The deployer both reported (50%) and is the treasury (50%): it gets the whole stake back.
    expect(
      await client.readContract({
        address: deployment.token,
        abi: vigilTokenAbi,
        functionName: "balanceOf",
        args: [deployer.address],
      }),
    ).toBe(treasuryBefore + stake);
  });
});

describe("deployVigil input checks", () => {
  it("rejects bad options with a typed error before sending anything", async () => {
    const client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const nonce = await client.getTransactionCount({ address: deployer.address });
    const bad = [
      { signers: donSigners.slice(0, 3), f: 1 }, // needs 3f + 1 signers
      { signers: [donSigners[0]!, donSigners[0]!, donSigners[1]!, donSigners[2]!], f: 1 },
      { signers: ["0x1234"], f: 1 },
    ];
    for (const b of bad) {
      const error = await deployVigil({ rpcUrl: anvil.rpcUrl, privateKey: DEPLOYER_KEY, ...b }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(DeployError);
      expect((error as DeployError).code).toBe("INVALID_OPTIONS");
    }
    const badKey = await deployVigil({
      rpcUrl: anvil.rpcUrl,
      privateKey: "0x12",
      signers: donSigners,
      f: 1,
    }).catch((e) => e);
    expect((badKey as DeployError).code).toBe("INVALID_OPTIONS");
    expect(await client.getTransactionCount({ address: deployer.address })).toBe(nonce);
  });

  it("runs from the command line flags", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "vigil-deploy-cli-")), "d.json");
    const deployment = await main([
      "--rpc",
      anvil.rpcUrl,
      "--private-key",
      DEPLOYER_KEY,
      "--signers",
      donSigners.join(","),
      "--f",
      "1",
      "--workflow",
      `1:${workflowOwner}:epoch-settlement`,
      "--workflow",
      `2:${workflowOwner}:0x66726175642d736c6173`,
      "--fee-per-device-epoch",
      "0.25",
      "--fee-burn-bps",
      "1000",
      "--fee-operator-bps",
      "6000",
      "--vgl-per-eth",
      "2500",
      "--max-gas-price-gwei",
      "1.5",
      "--out",
      out,
    ]);
    expect(loadDeployment(out)).toEqual(deployment);
    const client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
    const setting = (functionName: string) =>
      client.readContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: functionName as never,
      });
    expect(await setting("feePerDeviceEpoch")).toBe(parseEther("0.25"));
    expect(await setting("feeBurnBps")).toBe(1_000);
    expect(await setting("feeOperatorBps")).toBe(6_000);
    expect(await setting("vglPerEth")).toBe(parseEther("2500"));
    expect(await setting("maxGasPriceWei")).toBe(1_500_000_000n);
    await expect(
      main([
        "--rpc",
        anvil.rpcUrl,
        "--private-key",
        DEPLOYER_KEY,
        "--signers",
        donSigners.join(","),
        "--f",
        "1",
        "--vgl-per-eth",
        "2500",
      ]),
    ).rejects.toThrow(/--max-gas-price-gwei/);
    await expect(main(["--rpc", anvil.rpcUrl])).rejects.toThrow();
    await expect(
      main([
        "--rpc",
        anvil.rpcUrl,
        "--private-key",
        DEPLOYER_KEY,
        "--signers",
        "x",
        "--f",
        "1",
        "--workflow",
        "1:bad",
      ]),
    ).rejects.toThrow(/kind:owner:name/);
  });

  it("encodes CRE workflow names like chainlink-common HashTruncateName", () => {
    const hex = createHash("sha256").update("epoch-settlement").digest("hex").slice(0, 10);
    expect(workflowNameBytes10("epoch-settlement")).toBe(toHex(Buffer.from(hex, "ascii")));
  });
});
