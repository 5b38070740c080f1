// Live DON membership (issue 17): four nodes settle on chain through the real KeystoneForwarder; a
// fifth operator registers, the forwarder's owner reconfigures the DON to five signers under a new
// version (`vigil workflow don set`), the fifth node starts, and a later epoch settles with the fifth
// taking part, the report carrying the new version, none of the first four restarted.
import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  type Address,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  decodeFunctionData,
  type Hex,
  hexToBytes,
  http,
  maxUint256,
  parseAbiItem,
  parseEther,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { keyFromLabel } from "../../attestation/testing";
import { vigilRegistryAbi, vigilSettlementAbi, vigilTokenAbi } from "../../contracts/index";
import { initNode } from "../../oracle-node/cli/index";
import { loadConfig } from "../../oracle-node/config/index";
import {
  decodeRawReport,
  forwarderAbi,
  runWorkflowCli,
  workflowNameToBytes10,
} from "../../oracle-node/cre-host/index";
import { startNode, type VigilNode } from "../../oracle-node/node";
import { deployVigil } from "../../scripts/deploy/deploy";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";

const ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;
const admin = privateKeyToAccount(ANVIL_KEY);
const reportProcessed = parseAbiItem(
  "event ReportProcessed(address indexed receiver, bytes32 indexed workflowExecutionId, bytes2 indexed reportId, bool result)",
);
const EPOCH_SECONDS = 6;

let anvil: Anvil;
let deployment: Awaited<ReturnType<typeof deployVigil>>;
let deploymentFile: string;
const dirs: string[] = [];
const inits: Awaited<ReturnType<typeof initNode>>[] = [];
const nodes: VigilNode[] = [];
/** Each node's log lines, parsed. */
const logs: Record<string, unknown>[][] = [];

const publicClient = () =>
  createPublicClient({
    chain: { ...foundry, id: anvil.chainId },
    transport: http(anvil.rpcUrl),
    pollingInterval: 50,
  });

async function until(check: () => boolean | Promise<boolean>, what: string, timeout = 60_000) {
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`still waiting for ${what}`);
    },
    { timeout, interval: 200 },
  );
}

const nextEpoch = () =>
  publicClient().readContract({
    address: deployment.settlement,
    abi: vigilSettlementAbi,
    functionName: "nextEpoch",
    args: [1n],
  });

/** The config version in the metadata of every report the forwarder delivered from `fromBlock` on. */
async function deliveredVersions(fromBlock: bigint) {
  const client = publicClient();
  const processed = await client.getLogs({
    address: deployment.forwarder,
    event: reportProcessed,
    args: { receiver: deployment.settlement },
    fromBlock,
  });
  return Promise.all(
    processed.map(async (l) => {
      const tx = await client.getTransaction({ hash: l.transactionHash });
      const { args } = decodeFunctionData({ abi: forwarderAbi, data: tx.input });
      return {
        ok: l.args.result,
        from: tx.from,
        configVersion: decodeRawReport(hexToBytes(args[1] as Hex)).metadata.donConfigVersion,
      };
    }),
  );
}

async function startOne(i: number): Promise<VigilNode> {
  const lines: Record<string, unknown>[] = [];
  logs[i] = lines;
  const config = loadConfig({
    path: join(dirs[i]!, "node.toml"),
    env: {
      VIGIL_LOG_LEVEL: "info",
      VIGIL_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
      VIGIL_P2P_BOOTSTRAP: nodes.flatMap((n) => n.p2p.addresses()).join(","),
      VIGIL_CHAIN_DEPLOYMENT_FILE: deploymentFile,
    },
  });
  // Follows the latest forwarder config: the deployment's version 1 is no pin.
  expect(config.cre?.configVersion).toBeUndefined();
  return startNode(config, {
    defaultMetrics: false,
    pollingIntervalMs: 50,
    heartbeatIntervalMs: 100,
    registryPollMs: 500,
    logDestination: {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
        if (process.env.VIGIL_TEST_LOG) appendFileSync(process.env.VIGIL_TEST_LOG, line);
      },
    },
    agreement: {
      proposeTimeoutMs: 3_000,
      stepTimeoutMs: 1_000,
      timeoutDeltaMs: 500,
      observationGraceMs: 300,
    },
  });
}

beforeAll(async () => {
  anvil = await startAnvil();
  const chain = { ...foundry, id: anvil.chainId };
  const client = publicClient();
  const wallet = createWalletClient({ account: admin, chain, transport: http(anvil.rpcUrl) });
  const mined = async (hash: Promise<Hex>) => {
    const r = await client.waitForTransactionReceipt({ hash: await hash, pollingInterval: 50 });
    if (r.status !== "success") throw new Error(`transaction ${r.transactionHash} reverted`);
  };
  for (let i = 0; i < 5; i++) {
    const dir = mkdtempSync(join(tmpdir(), `vigil-join-node${i}-`));
    inits.push(
      await initNode({
        dir,
        networks: [1n],
        apiPort: 0,
        adminPort: 0,
        p2pPort: 0,
        rpcUrls: [anvil.rpcUrl],
        chainId: anvil.chainId,
      }),
    );
    dirs.push(dir);
    appendFileSync(
      join(dir, "node.toml"),
      '\n[cre]\nsettle_schedule = "* * * * * *"\ntransmit_delay_ms = 500\n',
    );
  }
  deploymentFile = join(dirs[0]!, "deployment.json");
  // The DON starts with the first four nodes' signers.
  deployment = await deployVigil({
    rpcUrl: anvil.rpcUrl,
    privateKey: ANVIL_KEY,
    signers: inits.slice(0, 4).map((n) => n.signer),
    f: 1,
    workflows: [
      { kind: 1, owner: admin.address, name: workflowNameToBytes10("vigil-epoch-settlement") },
      { kind: 2, owner: admin.address, name: workflowNameToBytes10("vigil-fraud-slashing") },
    ],
    minOperatorStake: parseEther("1"),
    mint: [{ to: admin.address, amount: parseEther("100000") }],
    out: deploymentFile,
  });
  const { token, registry, settlement } = deployment;
  const send = (address: Address, abi: unknown, functionName: string, args: readonly unknown[]) =>
    mined(
      wallet.writeContract({ address, abi, functionName, args } as Parameters<
        typeof wallet.writeContract
      >[0]),
    );
  await send(token, vigilTokenAbi, "approve", [registry, maxUint256]);
  await send(token, vigilTokenAbi, "approve", [settlement, maxUint256]);
  for (const n of inits) await mined(wallet.sendTransaction({ to: n.signer, value: parseEther("10") }));
  for (const n of inits.slice(0, 4))
    await send(registry, vigilRegistryAbi, "registerOperator", [
      n.signer,
      toHex(peerIdFromString(n.peerId).toMultihash().bytes),
      parseEther("1"),
    ]);
  // Epoch 0 must not end before the four nodes run (see nodeSettlement.test.ts for the 40 s).
  const genesis = (await client.getBlock()).timestamp + 40n;
  await send(registry, vigilRegistryAbi, "registerNetwork", [
    {
      rewardBudgetPerEpoch: parseEther("100"),
      stakePerDevice: parseEther("1"),
      epochLength: EPOCH_SECONDS,
      genesisTime: genesis,
      challengePolicyId: 1,
      k: 3,
    },
  ]);
  await send(settlement, vigilSettlementAbi, "depositBudget", [1n, parseEther("1000")]);
  await send(registry, vigilRegistryAbi, "registerDevice", [
    1n,
    bytesToHex(keyFromLabel("don-join-device").publicKey),
    admin.address,
  ]);
  for (let i = 0; i < 4; i++) nodes.push(await startOne(i));
}, 180_000);

afterAll(async () => {
  for (const node of nodes.reverse()) await node.close();
  await anvil?.stop();
});

describe("a fifth operator joins the DON without restarting the others", () => {
  it("settles under version 1 with four, then under version 2 with the fifth taking part", async () => {
    const [first, ...rest] = nodes;
    for (const n of nodes) expect(n.cre?.don).toMatchObject({ configVersion: 1, f: 1 });
    await until(async () => (await nextEpoch()) >= 1n, "epoch 0 to settle under version 1", 120_000);
    expect((await deliveredVersions(0n)).every((d) => d.configVersion === 1 && d.ok)).toBe(true);

    // Join: the operator registers, the forwarder's owner reconfigures, the new node starts.
    const fifth = inits[4]!;
    const wallet = createWalletClient({
      account: admin,
      chain: { ...foundry, id: anvil.chainId },
      transport: http(anvil.rpcUrl),
    });
    const hash = await wallet.writeContract({
      address: deployment.registry,
      abi: vigilRegistryAbi,
      functionName: "registerOperator",
      args: [fifth.signer, toHex(peerIdFromString(fifth.peerId).toMultihash().bytes), parseEther("1")],
    });
    await publicClient().waitForTransactionReceipt({ hash });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runWorkflowCli(
      [
        "don",
        "set",
        "--rpc-url",
        anvil.rpcUrl,
        "--deployment",
        deploymentFile,
        "--signers",
        inits.map((n) => n.signer).join(","),
        "--f",
        "1",
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l), env: { VIGIL_PRIVATE_KEY: ANVIL_KEY } },
    );
    expect(code, err.join("\n")).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({ configVersion: 2, cleared: [] });
    const switchedAt = await publicClient().getBlockNumber();
    nodes.push(await startOne(4));
    const all = nodes;

    // The four running nodes switch by themselves; the fifth starts as a member of version 2.
    await until(
      () =>
        all.every((n) => n.cre?.member && n.cre.don?.configVersion === 2 && n.cre.don.members.length === 5),
      "every node to run DON version 2 with five members",
    );
    expect(nodes.slice(0, 4)).toEqual([first, ...rest]);
    const settledBefore = await nextEpoch();

    // A later epoch settles under version 2, the fifth node's CRE host taking part in it.
    const fifthSettled = () =>
      logs[4]!.some((l) => l.msg === "epoch settlement written" && l.configVersion === 2);
    await until(
      async () => (await nextEpoch()) > settledBefore + 1n && fifthSettled(),
      "an epoch to settle under version 2 with the fifth node",
      120_000,
    );
    const after = (await deliveredVersions(switchedAt + 1n)).filter((d) => d.ok);
    expect(after.length).toBeGreaterThan(0);
    // Reports from the switch on carry version 2 (at most the ones already in flight carry 1).
    expect(after.at(-1)!.configVersion).toBe(2);
    // Nothing settled twice: each epoch once, one successful delivery per settled epoch. (A late
    // transmission of another cron tick's report for a settled epoch is refused by the contract and
    // recorded by the forwarder as a failed delivery: gas lost, nothing settled.)
    const settled = await publicClient().getContractEvents({
      address: deployment.settlement,
      abi: vigilSettlementAbi,
      eventName: "EpochSettled",
      fromBlock: 0n,
    });
    expect(new Set(settled.map((e) => e.args.epoch)).size).toBe(settled.length);
    expect((await deliveredVersions(0n)).filter((d) => d.ok).length).toBe(settled.length);
    for (const n of nodes.slice(0, 4))
      expect(logs[nodes.indexOf(n)]!.some((l) => l.msg === "CRE host leaves its membership")).toBe(true);
  }, 300_000);
});
