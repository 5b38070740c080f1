// A DePIN protocol's path end to end on a real chain: an epoch settles through the real
// KeystoneForwarder, the feed serves its lines, the client verifies a line offline and against the
// settlement contract, and the example consumer contract accepts it on chain.
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Deployment,
  encodeEpochSettlementReport,
  exampleDePINConsumerAbi,
  keystoneForwarderAbi,
  vigilRegistryAbi,
  vigilSettlementAbi,
  vigilTokenAbi,
} from "../../contracts/index";
import { type ApiServer, serveApi } from "../../oracle-node/api/index";
import {
  createFeedClient,
  type FeedClientError,
  NotSettledOnChainError,
  ResultMismatchError,
  RootMismatchError,
} from "../../oracle-node/feed/client/index";
import {
  deviceId,
  generateLines,
  observationsFor,
  oracleAccounts,
  oracleKeys,
  signResultVote,
} from "../../oracle-node/feed/fixture";
import { createFeedApp, createMemoryFeedSource } from "../../oracle-node/feed/index";
import { rawReport, signReport } from "../../scripts/contracts/forwarderReport";
import { deployVigil, workflowNameBytes10 } from "../../scripts/deploy/deploy";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";

const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const deployer = privateKeyToAccount(DEPLOYER_KEY);
const keys = oracleKeys(4);
const oracles = oracleAccounts(4);
const workflowOwner = privateKeyToAccount(keccak256(toHex("feed.workflow.owner"))).address;
const settleName = workflowNameBytes10("epoch-settlement");

let anvil: Anvil;
let deployment: Deployment;
let server: ApiServer;
let liar: ApiServer;
const source = createMemoryFeedSource();

beforeAll(async () => {
  anvil = await startAnvil();
  deployment = await deployVigil({
    rpcUrl: anvil.rpcUrl,
    privateKey: DEPLOYER_KEY,
    signers: oracles.map((o) => o.address),
    f: 1,
    workflows: [{ kind: 1, owner: workflowOwner, name: settleName }],
    network: { rewardBudgetPerEpoch: parseEther("1000"), stakePerDevice: 0n, epochLength: 1, k: 3 },
    mint: [{ to: deployer.address, amount: parseEther("10000") }],
  });
  const client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
  const wallet = createWalletClient({ account: deployer, transport: http(anvil.rpcUrl), chain: foundry });
  const send = async (address: Address, abi: readonly unknown[], functionName: string, args: unknown[]) => {
    const hash = await wallet.writeContract({
      address,
      abi: abi as never,
      functionName: functionName as never,
      args: args as never,
      // The forwarder survives a failing receiver, so gas estimation can starve `onReport`: be explicit.
      gas: 5_000_000n,
    });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  };
  // The oracles are registered operators, so the client can read the signer set from the registry.
  await send(deployment.token, vigilTokenAbi, "approve", [deployment.registry, parseEther("400")]);
  for (const o of oracles)
    await send(deployment.registry, vigilRegistryAbi, "registerOperator", [
      o.address,
      "0x0024",
      parseEther("100"),
    ]);
  await send(deployment.token, vigilTokenAbi, "approve", [deployment.settlement, parseEther("2000")]);
  await send(deployment.settlement, vigilSettlementAbi, "depositBudget", [1n, parseEther("2000")]);

  // Epoch 0 of network 1: the feed holds it with the oracles' votes, and it settles on chain.
  const ctx = { chainId: anvil.chainId, settlement: deployment.settlement as Address };
  for (const epoch of [0n, 1n]) {
    const result = source.publishEpoch({
      networkId: 1n,
      epoch,
      ...observationsFor(
        oracles.map((o) => o.address),
        1n,
        epoch,
      ),
      lines: generateLines(1n, epoch, 20, parseEther("500")),
    });
    source.addVotes(
      1n,
      epoch,
      await Promise.all(oracles.slice(0, 2).map((o) => signResultVote(o, ctx, result))),
    );
  }
  const settledResult = (await source.getEpochResult(1n, 0n))!;
  await client.request({ method: "evm_increaseTime" as never, params: [5] as never });
  const raw = rawReport(
    {
      executionId: keccak256(toHex("feed-execution-0")),
      timestamp: Math.floor(Date.now() / 1000),
      donId: 1,
      configVersion: 1,
      workflowCid: keccak256(toHex("cid")),
      workflowName: settleName,
      workflowOwner,
      reportId: "0x0001",
    },
    encodeEpochSettlementReport({ ...settledResult, slashes: [] }),
  );
  const context = keccak256(toHex("context"));
  await send(deployment.forwarder, keystoneForwarderAbi, "report", [
    deployment.settlement,
    raw,
    context,
    await signReport(raw, context, keys.slice(0, 2)),
  ]);
  source.markSettled(1n, 0n);
  server = await serveApi(createFeedApp(source, { rateLimit: false }), { host: "127.0.0.1", port: 0 });

  // Two colluding oracles sign a different root: offline checks pass, the chain tells.
  const forged = createMemoryFeedSource();
  const forgedLines = generateLines(1n, 0n, 20, parseEther("500")).map((l) => ({
    ...l,
    reward: l.reward + 1n,
  }));
  const forgedResult = forged.publishEpoch({
    networkId: 1n,
    epoch: 0n,
    observationsCommitment: settledResult.observationsCommitment,
    lines: forgedLines,
  });
  forged.addVotes(
    1n,
    0n,
    await Promise.all(oracles.slice(2).map((o) => signResultVote(o, ctx, forgedResult))),
  );
  liar = await serveApi(createFeedApp(forged, { rateLimit: false }), { host: "127.0.0.1", port: 0 });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await liar?.close();
  await anvil?.stop();
});

describe("feed consumed on chain", () => {
  const publicClient = () => createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
  const client = (nodes: string[]) =>
    createFeedClient({
      nodes,
      chainId: anvil.chainId,
      settlement: deployment.settlement as Address,
      signers: { registry: deployment.registry as Address },
      publicClient: publicClient(),
    });

  it("verifies a line offline and on chain, and the example consumer accepts it", async () => {
    const verified = await client([server.url]).getDeviceLine(1n, 0n, deviceId(3), { onChain: true });
    expect(verified.result.checkedOnChain).toBe(true);
    expect(verified.result.verifiedSigners).toEqual(oracles.slice(0, 2).map((o) => o.address));

    const chain = publicClient();
    const wallet = createWalletClient({ account: deployer, transport: http(anvil.rpcUrl), chain: foundry });
    const hash = await wallet.writeContract({
      address: deployment.consumer as Address,
      abi: exampleDePINConsumerAbi,
      functionName: "submitResult",
      args: [verified.line, verified.proof],
    });
    expect((await chain.waitForTransactionReceipt({ hash, pollingInterval: 50 })).status).toBe("success");
    const [lastEpoch, totalWork, lastUptimeBps] = await chain.readContract({
      address: deployment.consumer as Address,
      abi: exampleDePINConsumerAbi,
      functionName: "records",
      args: [deviceId(3)],
    });
    expect([lastEpoch, totalWork, lastUptimeBps]).toEqual([0n, verified.line.work, verified.line.uptimeBps]);
  });

  it("rejects a root signed by colluding oracles that differs from the settled one", async () => {
    const offline = await createFeedClient({
      nodes: [liar.url],
      chainId: anvil.chainId,
      settlement: deployment.settlement as Address,
      signers: oracles.map((o) => o.address),
    }).getDeviceLine(1n, 0n, deviceId(3));
    expect(offline.line.reward).toBeGreaterThan(0n);
    const error = await client([liar.url])
      .getDeviceLine(1n, 0n, deviceId(3), { onChain: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RootMismatchError);
    // With an honest node listed after the liar, the client ends up with the settled line.
    const recovered = await client([liar.url, server.url]).getDeviceLine(1n, 0n, deviceId(3), {
      onChain: true,
    });
    expect(recovered.result.node).toBe(server.url);
  });

  it("checks the totals the votes do not cover against the chain", async () => {
    const inflated = await serveApi(
      createFeedApp(
        {
          ...source,
          getEpochResult: async (n, e) => {
            const r = await source.getEpochResult(n, e);
            return r && { ...r, totalReward: r.totalReward * 2n };
          },
        },
        { rateLimit: false },
      ),
      { host: "127.0.0.1", port: 0 },
    );
    try {
      // The votes sign only the root and the commitment, so offline the inflated total passes...
      const offline = await client([inflated.url]).getEpochResult(1n, 0n);
      expect(offline.unverified.totalReward).toBe((await source.getEpochResult(1n, 0n))!.totalReward * 2n);
      // ...and the chain, which stored the settled totals, refutes it.
      const error = await client([inflated.url])
        .getEpochResult(1n, 0n, { onChain: true })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResultMismatchError);
      expect((error as ResultMismatchError).details).toMatchObject({ field: "totalReward" });
    } finally {
      await inflated.close();
    }
  });

  it("tells a result the chain has not settled yet apart", async () => {
    const error = await client([server.url])
      .getEpochResult(1n, 1n, { onChain: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotSettledOnChainError);
    expect((error as FeedClientError).code).toBe("NOT_SETTLED_ON_CHAIN");
    // Offline it verifies: f + 1 oracles signed it; only the chain says it is not final.
    expect((await client([server.url]).getEpochResult(1n, 1n)).resultRoot).toBe(
      (await source.getEpochResult(1n, 1n))!.resultRoot,
    );
  });
});
