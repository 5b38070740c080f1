// Four oracle nodes started with `startNode` run the CRE host themselves: after the devices attested
// over HTTP and the nodes certified epoch 0, their epoch-settlement workflow (cron) settles it on
// chain through the real KeystoneForwarder, and a fraud slash posted to every node lands at once, if
// an oracle assigned to the device in the current epoch signed the evidence.
import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerIdFromString } from "@libp2p/peer-id";
import {
  type Address,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  type Hex,
  hexToBytes,
  http,
  keccak256,
  maxUint256,
  parseAbiItem,
  parseEther,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DeviceAgent, httpGateway, startDeviceAgent } from "../../attestation/agent/index";
import { assignedOracles, type Signer } from "../../attestation/index";
import { keyFromLabel, testCapabilities } from "../../attestation/testing";
import { vigilRegistryAbi, vigilSettlementAbi, vigilTokenAbi } from "../../contracts/index";
import type { EpochCertificate } from "../../oracle-node/agreement/index";
import { getNetwork, getOperators, readEpochBeacon } from "../../oracle-node/chain/index";
import { initNode, nodeCommand } from "../../oracle-node/cli/index";
import { loadConfig } from "../../oracle-node/config/index";
import { workflowNameToBytes10 } from "../../oracle-node/cre-host/index";
import { encodeChallengeGossip } from "../../oracle-node/intake/gossipCodec";
import { signerFromPeerKey } from "../../oracle-node/intake/index";
import { startNode, type VigilNode } from "../../oracle-node/node";
import { loadOrCreatePeerKey } from "../../oracle-node/p2p/index";
import { SettlementError } from "../../oracle-node/settlement/index";
import { deployVigil } from "../../scripts/deploy/deploy";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { computeEvidence } from "../../workflows/fraud-slashing/testEvidence";

const ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;
const admin = privateKeyToAccount(ANVIL_KEY);
const reportProcessed = parseAbiItem(
  "event ReportProcessed(address indexed receiver, bytes32 indexed workflowExecutionId, bytes2 indexed reportId, bool result)",
);

let anvil: Anvil;
let deployment: Awaited<ReturnType<typeof deployVigil>>;
let networkId: bigint;
let deploymentFile: string;
/** Unix seconds at which the network's epoch 0 begins. */
let genesis: bigint;
/** Milliseconds from now until epoch `e` ends, plus `slackMs` for the nodes to close and agree on it. */
const untilEpochEnds = (e: bigint, slackMs: number) =>
  Math.max(0, Number((genesis + (e + 1n) * BigInt(EPOCH_SECONDS)) * 1000n) - Date.now()) + slackMs;
/** Every node's certificates, by epoch, as the epoch clock produces them. */
const certified = new Map<bigint, EpochCertificate[]>();
const nodes: VigilNode[] = [];
const agents: DeviceAgent[] = [];
const deviceKeys = Array.from({ length: 4 }, (_, i) => keyFromLabel(`settlement-device-${i}`));
/** Registered devices that cheat: one caught through the admin API, one through gossip, one by an outsider. */
const cheats = {
  posted: keyFromLabel("node-settlement-cheat"),
  gossiped: keyFromLabel("node-settlement-gossip-cheat"),
  unassigned: keyFromLabel("node-settlement-unassigned-cheat"),
};
/** Epochs last this long on chain, and so on the nodes (they follow the chain's timing). */
const EPOCH_SECONDS = 6;

async function until(check: () => boolean | Promise<boolean>, what: string, timeout = 30_000) {
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`still waiting for ${what}`);
    },
    { timeout, interval: 100 },
  );
}

/**
 * Waits for the next epoch to begin (anvil stamps blocks with the wall clock, and mines only on
 * transactions: one is mined so the chain's head shows the new epoch too) and returns it with the
 * judges of `device` in it as the chain has them: the settlement's beacon at the last block before
 * the epoch's start, and the nodes whose signers rank first among the operators active there.
 * Evidence built at an epoch's start has the whole window (this epoch and the next) to be slashed.
 */
async function freshEpoch(device: Signer) {
  const client = publicClient();
  const net = await getNetwork(client, deployment.registry, networkId);
  const length = BigInt(net.epochLength);
  const epoch = (BigInt(Math.floor(Date.now() / 1000)) - net.genesisTime) / length + 1n;
  const start = net.genesisTime + epoch * length;
  await until(
    () => Date.now() >= Number(start) * 1000,
    `epoch ${epoch} to begin`,
    Number(length) * 1000 + 5_000,
  );
  await client.request({ method: "evm_mine" as never, params: [] as never });
  expect((await client.getBlock()).timestamp).toBeGreaterThanOrEqual(start);
  const { beacon, blockNumber } = await readEpochBeacon(client, deployment.settlement, networkId, start);
  const active = (await getOperators(client, deployment.registry, { blockNumber: blockNumber! })).filter(
    (o) => o.status === "Active",
  );
  const assigned = assignedOracles(
    hexToBytes(beacon),
    device.publicKey,
    active.map((o) => ({ signer: hexToBytes(o.signer) })),
    net.k,
  ).map((o) => bytesToHex(o.signer));
  const isAssigned = (n: VigilNode) => assigned.includes(n.signer.toLowerCase() as Hex);
  return { epoch, beacon, judges: nodes.filter(isAssigned), others: nodes.filter((n) => !isAssigned(n)) };
}

/** Fraud evidence against `device` in `epoch`, signed with `node`'s peer key (its challenger key). */
async function evidenceBy(node: VigilNode, device: Signer, at: { epoch: bigint; beacon: Hex }) {
  const fraud = computeEvidence({
    networkId,
    epoch: at.epoch,
    label: "node-settlement",
    challenger: signerFromPeerKey(await loadOrCreatePeerKey(node.config.p2p.peerKeyFile)),
    device,
    beacon: hexToBytes(at.beacon),
  });
  if (fraud.verdict.status !== "fraud") throw new Error("fixture must prove fraud");
  return fraud.verdict.evidence;
}

const postFraudSlash = (n: VigilNode, body: unknown, token = n.config.api.adminToken) =>
  fetch(`${n.admin.url}/admin/networks/${networkId}/fraud-slash`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Forwarder deliveries and epoch settlements from a block to now (one snapshot of the head). */
async function deliveries(fromBlock: bigint) {
  const client = publicClient();
  const toBlock = await client.getBlockNumber();
  if (fromBlock > toBlock) return { processed: [], settled: [] };
  const [processed, settled] = await Promise.all([
    client.getLogs({
      address: deployment.forwarder,
      event: reportProcessed,
      args: { receiver: deployment.settlement },
      fromBlock,
      toBlock,
    }),
    client.getContractEvents({
      address: deployment.settlement,
      abi: vigilSettlementAbi,
      eventName: "EpochSettled",
      fromBlock,
      toBlock,
    }),
  ]);
  return { processed, settled };
}

const publicClient = () =>
  createPublicClient({
    chain: { ...foundry, id: anvil.chainId },
    transport: http(anvil.rpcUrl),
    pollingInterval: 50,
  });

beforeAll(async () => {
  anvil = await startAnvil();
  const chain = { ...foundry, id: anvil.chainId };
  const client = publicClient();
  const wallet = createWalletClient({ account: admin, chain, transport: http(anvil.rpcUrl) });
  const mined = async (hash: Promise<Hex>) => {
    const r = await client.waitForTransactionReceipt({ hash: await hash, pollingInterval: 50 });
    if (r.status !== "success") throw new Error(`transaction ${r.transactionHash} reverted`);
  };

  // Node keys first: the forwarder's signers are the nodes' Ethereum keys.
  const dirs: string[] = [];
  const inits: Awaited<ReturnType<typeof initNode>>[] = [];
  for (let i = 0; i < 4; i++) {
    const dir = mkdtempSync(join(tmpdir(), `vigil-settle-node${i}-`));
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
  }
  deploymentFile = join(dirs[0]!, "deployment.json");
  deployment = await deployVigil({
    rpcUrl: anvil.rpcUrl,
    privateKey: ANVIL_KEY,
    signers: inits.map((n) => n.signer),
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
  const send = (
    address: Address,
    abi: typeof vigilTokenAbi | typeof vigilRegistryAbi | typeof vigilSettlementAbi,
    functionName: string,
    args: readonly unknown[],
  ) =>
    mined(
      wallet.writeContract({ address, abi, functionName, args } as Parameters<
        typeof wallet.writeContract
      >[0]),
    );
  await send(token, vigilTokenAbi, "approve", [registry, maxUint256]);
  await send(token, vigilTokenAbi, "approve", [settlement, maxUint256]);
  for (const n of inits) {
    await send(registry, vigilRegistryAbi, "registerOperator", [
      n.signer,
      toHex(peerIdFromString(n.peerId).toMultihash().bytes),
      parseEther("1"),
    ]);
    // Each node's Ethereum key also transmits its reports: it needs gas money.
    await mined(wallet.sendTransaction({ to: n.signer, value: parseEther("10") }));
  }
  // The network's epoch 0 must not end before the nodes run: they close epochs from the one current
  // when they start, and the settlement takes epochs in order from 0. Starting four nodes took 23 s
  // on 2 cores under a load average of 7, hence 40 s. Nodes and chain number epochs alike (the nodes
  // follow the chain's timing), so a fraud report for the nodes' current epoch is one for the
  // chain's current epoch too.
  genesis = (await client.getBlock()).timestamp + 40n;
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
  networkId = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "networkCount",
  });
  expect(networkId).toBe(1n);
  await send(settlement, vigilSettlementAbi, "depositBudget", [networkId, parseEther("1000")]);
  // An uptime SLA: a 10% bonus pool makes every reward differ from the plain formula, so the node
  // restarted on an empty disk below can fill its epochs only through backfill's rewards-by-root path.
  await send(settlement, vigilSettlementAbi, "setUptimeSla", [
    networkId,
    {
      windowEpochs: 2,
      bonusThresholdBps: 9_000,
      bonusBps: 1_000,
      penaltyThresholdBps: 5_000,
      penaltyBps: 5_000,
    },
  ]);
  for (const key of [...deviceKeys, ...Object.values(cheats)])
    await send(registry, vigilRegistryAbi, "registerDevice", [
      networkId,
      bytesToHex(key.publicKey),
      admin.address,
    ]);

  for (const dir of dirs) {
    // Only what a devnet sets beyond the deployment file: a fast settlement schedule.
    appendFileSync(
      join(dir, "node.toml"),
      '\n[cre]\nsettle_schedule = "* * * * * *"\ntransmit_delay_ms = 500\n',
    );
    const config = loadConfig({
      path: join(dir, "node.toml"),
      env: {
        VIGIL_LOG_LEVEL: process.env.DEBUG_CRE ? "debug" : "warn",
        VIGIL_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
        VIGIL_P2P_BOOTSTRAP: nodes.flatMap((n) => n.p2p.addresses()).join(","),
        VIGIL_CHAIN_DEPLOYMENT_FILE: deploymentFile,
      },
    });
    // No pinned config version: the node follows the forwarder's latest.
    expect(config.cre).toMatchObject({ donId: 1, settleSchedule: "* * * * * *" });
    expect(config.cre?.configVersion).toBeUndefined();
    nodes.push(
      await startNode(config, {
        defaultMetrics: false,
        pollingIntervalMs: 50,
        heartbeatIntervalMs: 100,
        onCertificate: (c) => {
          const list = certified.get(c.result.epoch) ?? [];
          list.push(c);
          certified.set(c.result.epoch, list);
        },
        logDestination: {
          write: (line: string) => {
            if (process.env.VIGIL_TEST_LOG) appendFileSync(process.env.VIGIL_TEST_LOG, line);
          },
        },
        agreement: {
          proposeTimeoutMs: 3_000,
          stepTimeoutMs: 1_000,
          timeoutDeltaMs: 500,
          observationGraceMs: 300,
        },
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const agent of agents) await agent.stop();
  for (const node of nodes.reverse()) await node.close();
  await anvil?.stop();
});

describe("oracle nodes settle on chain through their CRE host", () => {
  it("derives the DON from the forwarder and the workflows from the settlement contract", async () => {
    for (const [i, n] of nodes.entries()) {
      expect(n.cre?.member).toBe(true);
      expect(n.cre!.don!.f).toBe(1);
      expect(n.cre!.don!.members[i]).toBe(n.signer);
      expect(n.cre!.don!.peerIds[i]).toBe(n.peerId);
      expect(n.cre!.workflows).toEqual({
        epochSettlement: "vigil-epoch-settlement",
        fraudSlashing: "vigil-fraud-slashing",
      });
    }
    const status = (await (
      await fetch(`${nodes[1]!.admin.url}/admin/status`, {
        headers: { authorization: `Bearer ${nodes[1]!.config.api.adminToken}` },
      })
    ).json()) as { cre: unknown };
    expect(status.cre).toEqual({
      donId: 1,
      configVersion: 1,
      f: 1,
      members: nodes.map((n) => n.signer),
      workflows: ["vigil-epoch-settlement", "vigil-fraud-slashing"],
    });
  });

  it("devices attest; every node's epoch clock closes epochs 0 and 1 and their workflow settles each", async () => {
    const client = publicClient();
    const urlOf = new Map(nodes.map((n) => [n.signer, n.gateway.url]));
    const view = (await (await fetch(`${nodes[0]!.api.url}/assignment/${networkId}?epoch=0`)).json()) as {
      devices: { deviceId: Hex; nodes: Address[] }[];
    };
    for (const key of deviceKeys) {
      const assigned = view.devices.find((d) => d.deviceId === bytesToHex(key.publicKey))!.nodes;
      agents.push(
        startDeviceAgent({
          signer: key,
          // The owner the registry holds for it: nodes credit a device only if its registration names it.
          owner: hexToBytes(admin.address),
          capabilities: testCapabilities,
          gateways: assigned.map((signer) => httpGateway(`${urlOf.get(signer)}/device`)),
          heartbeatIntervalMs: 100,
          pollWaitMs: 500,
        }),
      );
    }
    const read = <T>(functionName: string, args: readonly unknown[]) =>
      client.readContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName,
        args,
      } as Parameters<typeof client.readContract>[0]) as Promise<T>;
    // Nothing is settled before the nodes agree: the workflow finds no result and writes nothing.
    expect(await read<bigint>("nextEpoch", [networkId])).toBe(0n);

    // The epoch clock closes epochs 0 and 1 on every node; each is settled as soon as it is certified.
    const allFour = (e: bigint) => (certified.get(e)?.length ?? 0) === 4;
    await until(() => allFour(0n), "all four nodes to certify epoch 0", untilEpochEnds(0n, 30_000));
    await until(() => allFour(1n), "all four nodes to certify epoch 1", untilEpochEnds(1n, 20_000));
    const certifiedAt = Date.now();
    await until(async () => (await read<bigint>("nextEpoch", [networkId])) >= 2n, "epochs 0 and 1 to settle");
    const latencyMs = Date.now() - certifiedAt;
    for (const e of [0n, 1n]) {
      const roots = new Set(certified.get(e)!.map((c) => c.result.resultRoot));
      expect(roots.size).toBe(1);
      const stored = await read<{ resultRoot: Hex; totalReward: bigint }>("epochResult", [networkId, e]);
      expect(stored.resultRoot).toBe([...roots][0]);
      expect(stored.totalReward).toBe(certified.get(e)![0]!.result.totalReward);
    }
    // Epoch 1 ran entirely while the devices heartbeated: every one of them earned uptime.
    expect(certified.get(1n)![0]!.result.lines.filter((l) => l.uptimeBps > 0)).toHaveLength(
      deviceKeys.length,
    );
    expect(await read<bigint>("latestEpoch", [networkId])).toBeGreaterThanOrEqual(1n);

    // One successful delivery per settled epoch: later transmitters saw it and did not pay again.
    const d = await deliveries(0n);
    expect(d.processed.length).toBe(d.settled.length);
    expect(d.processed.every((l) => l.args.result === true)).toBe(true);
    console.log(`epoch 1 settled ${latencyMs} ms after its certification was observed`);

    // The feed marks it settled once the nodes saw the EpochSettled event.
    await until(async () => {
      const r = (await (await fetch(`${nodes[2]!.api.url}/v1/networks/${networkId}/epochs/0`)).json()) as {
        settled?: boolean;
      };
      return r.settled === true;
    }, "the feed to mark epoch 0 settled");
    expect(agents.every((a) => a.stats.heartbeatsSent >= 3)).toBe(true);
    // Epoch 0 begins up to 40 s after the nodes were asked to start (see beforeAll).
  }, 120_000);

  it("slashes proven fraud when the evidence is posted to every node's admin API", async () => {
    const client = publicClient();
    // Signed by a node the chain assigned to the device in the current epoch.
    const at = await freshEpoch(cheats.posted);
    const evidence = bytesToHex(await evidenceBy(at.judges[0]!, cheats.posted, at));
    // Logs from the next block on: the current one may hold the epoch settlement.
    const fromBlock = (await client.getBlockNumber()) + 1n;
    const post = postFraudSlash;
    // Bad input: typed errors, nothing fired.
    expect((await post(nodes[0]!, { evidence: "0x1" })).status).toBe(400);
    expect((await post(nodes[0]!, { evidence }, "x".repeat(32))).status).toBe(401);
    const unserved = await fetch(`${nodes[0]!.admin.url}/admin/networks/9/fraud-slash`, {
      method: "POST",
      headers: { authorization: `Bearer ${nodes[0]!.config.api.adminToken}` },
      body: JSON.stringify({ evidence }),
    });
    expect(unserved.status).toBe(404);
    await expect(nodes[0]!.cre!.fraudSlash(networkId, "0x" as Hex)).rejects.toBeInstanceOf(SettlementError);

    // Three nodes through the HTTP route, the fourth through `vigil node fraud-slash`.
    let printed = "";
    vi.spyOn(console, "log").mockImplementation((line: string) => {
      printed += line;
    });
    const n3 = nodes[3]!;
    const cli = nodeCommand().exitOverride();
    const [answers] = await Promise.all([
      Promise.all(nodes.slice(0, 3).map((n) => post(n, { evidence }))),
      cli.parseAsync(
        [
          "fraud-slash",
          "--network",
          "1",
          "--evidence",
          evidence,
          "--url",
          n3.admin.url,
          "--token",
          n3.config.api.adminToken,
        ],
        { from: "user" },
      ),
    ]);
    vi.restoreAllMocks();
    expect(process.exitCode ?? 0).toBe(0);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { ok: boolean; error?: string }[];
    bodies.push(JSON.parse(printed) as { ok: boolean; error?: string });
    for (const b of bodies)
      expect(b, b.error).toMatchObject({ ok: true, result: expect.stringMatching(/^slashed in 0x/) });
    expect(
      await client.readContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: "isEvidenceApplied",
        args: [keccak256(evidence)],
      }),
    ).toBe(true);
    expect(
      await client.readContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: "isSlashed",
        args: [networkId, at.epoch, bytesToHex(cheats.posted.publicKey)],
      }),
    ).toBe(true);
    // Epochs keep settling meanwhile: exactly one delivery more than settlements, all successful.
    const d = await deliveries(fromBlock);
    expect(d.processed.every((l) => l.args.result === true)).toBe(true);
    expect(d.processed.length).toBe(d.settled.length + 1);
  });

  it("slashes fraud evidence seen on the intake's gossip without being asked", async () => {
    const client = publicClient();
    // An assigned node's intake proved the fraud in the current epoch: it gossips the bundle (the
    // other three see it on the challenges topic and check it against the same assignment) and hands
    // it to its own CRE host, here through its admin route.
    const at = await freshEpoch(cheats.gossiped);
    const judge = at.judges[0]!;
    const gossipedEvidence = await evidenceBy(judge, cheats.gossiped, at);
    const fromBlock = (await client.getBlockNumber()) + 1n;
    await judge.p2p.publish(
      judge.p2p.topic("challenges"),
      encodeChallengeGossip("evidence", gossipedEvidence),
    );
    const own = await postFraudSlash(judge, { evidence: bytesToHex(gossipedEvidence) });
    expect(await own.json()).toMatchObject({ ok: true, result: expect.stringMatching(/^slashed in 0x/) });
    await until(
      async () =>
        await client.readContract({
          address: deployment.settlement,
          abi: vigilSettlementAbi,
          functionName: "isEvidenceApplied",
          args: [keccak256(gossipedEvidence)],
        }),
      "the gossiped evidence to be applied",
    );
    // Epochs keep settling meanwhile: exactly one delivery more than settlements, all successful.
    const d = await deliveries(fromBlock);
    expect(d.processed.every((l) => l.args.result === true)).toBe(true);
    expect(d.processed.length).toBe(d.settled.length + 1);
  });

  it("rejects evidence signed by the registered node the chain did not assign to the device", async () => {
    const client = publicClient();
    const at = await freshEpoch(cheats.unassigned);
    // k = 3 of 4 nodes: exactly one watches other devices. A registered oracle with a valid key, and
    // a real fraud: still no evidence, since it was not the device's judge in the epoch.
    expect(at.others).toHaveLength(1);
    const evidence = bytesToHex(await evidenceBy(at.others[0]!, cheats.unassigned, at));
    const fromBlock = (await client.getBlockNumber()) + 1n;
    const answers = await Promise.all(nodes.map((n) => postFraudSlash(n, { evidence })));
    for (const a of answers)
      expect(await a.json()).toMatchObject({
        ok: true,
        result: "rejected:NOT_ASSIGNED: challenger not assigned to the device in the epoch",
      });
    // Epochs keep settling meanwhile, and nothing else reaches the forwarder.
    const d = await deliveries(fromBlock);
    expect(d.processed.length).toBe(d.settled.length);
    expect(
      await client.readContract({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        functionName: "isSlashed",
        args: [networkId, at.epoch, bytesToHex(cheats.unassigned.publicKey)],
      }),
    ).toBe(false);
    const device = await client.readContract({
      address: deployment.registry,
      abi: vigilRegistryAbi,
      functionName: "getDevice",
      args: [bytesToHex(cheats.unassigned.publicKey)],
    });
    expect(device.stake).toBe(parseEther("1"));
  });

  it("a node restarted on an empty disk fills in the settled epochs it missed from its peers, checked against the chain", async () => {
    const old = nodes[3]!;
    await old.close();
    // Same keys and config, a fresh data directory: its store knows no epoch.
    const dataDir = mkdtempSync(join(tmpdir(), "vigil-settle-restarted-"));
    const restarted = await startNode(
      { ...old.config, dataDir },
      {
        defaultMetrics: false,
        pollingIntervalMs: 50,
        heartbeatIntervalMs: 100,
        logDestination: {
          write: (line: string) => {
            if (process.env.VIGIL_TEST_LOG) appendFileSync(`${process.env.VIGIL_TEST_LOG}.restarted`, line);
          },
        },
      },
    );
    nodes[3] = restarted;
    const client = publicClient();
    const settledRoot = async (epoch: bigint) => {
      const [log] = await client.getContractEvents({
        address: deployment.settlement,
        abi: vigilSettlementAbi,
        eventName: "EpochSettled",
        args: { networkId, epoch },
        fromBlock: "earliest",
      });
      return log!.args.resultRoot!;
    };
    for (const epoch of [0n, 1n]) {
      const expected = await settledRoot(epoch);
      await vi.waitFor(
        async () => {
          const res = await fetch(`${restarted.api.url}/v1/networks/${networkId}/epochs/${epoch}`);
          expect(res.status).toBe(200);
          const body = (await res.json()) as { resultRoot: Hex; totalReward: string };
          expect(body.resultRoot).toBe(expected);
          // Rewards were paid (so the SLA's pool made them differ from what the node could recompute).
          expect(BigInt(body.totalReward)).toBeGreaterThan(0n);
        },
        // A restarted node's backfill streams are reset for up to about a minute after it starts (seen on
        // a loaded machine; cause not yet found: docs/operator.md); the driver asks again at 2, 4, … 64 s.
        { timeout: 150_000, interval: 500 },
      );
    }
    const metricsText = await (await fetch(`${restarted.admin.url}/metrics`)).text();
    expect(metricsText).toMatch(/vigil_backfill_epochs_total\{outcome="filled"\} [1-9]/);
  }, 320_000);

  it("a node outside the DON fails to start with cre.enabled, and otherwise runs and waits to be added", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-settle-outsider-"));
    await initNode({
      dir,
      networks: [1n],
      apiPort: 0,
      adminPort: 0,
      p2pPort: 0,
      rpcUrls: [anvil.rpcUrl],
      chainId: anvil.chainId,
    });
    const load = (enabled?: string) =>
      loadConfig({
        path: join(dir, "node.toml"),
        env: {
          VIGIL_LOG_LEVEL: "silent",
          VIGIL_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
          VIGIL_CHAIN_DEPLOYMENT_FILE: deploymentFile,
          ...(enabled ? { VIGIL_CRE_ENABLED: enabled } : {}),
        },
      });
    const options = { defaultMetrics: false, pollingIntervalMs: 50, logDestination: { write: () => {} } };
    const error = await startNode(load("true"), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettlementError);
    expect(error).toMatchObject({ code: "NOT_A_DON_MEMBER" });
    const node = await startNode(load(), options);
    try {
      // It follows the DON and would start its CRE host on a ConfigSet that adds it (see donJoin.test.ts).
      expect(node.cre?.member).toBe(false);
      expect(node.cre?.don?.members).toEqual(nodes.map((n) => n.signer));
      const bundle = computeEvidence({ networkId, epoch: 0n, label: "node-settlement-outsider" }).verdict;
      const evidence = bundle.status === "fraud" ? bytesToHex(bundle.evidence) : undefined;
      const res = await fetch(`${node.admin.url}/admin/networks/${networkId}/fraud-slash`, {
        method: "POST",
        headers: { authorization: `Bearer ${node.config.api.adminToken}` },
        body: JSON.stringify({ evidence }),
      });
      expect(res.status).toBe(503);
    } finally {
      await node.close();
    }
  });
});
