// Slash evidence against a real chain: devices are slashed on anvil through the real KeystoneForwarder
// by kind-2 fraud reports, the real feed app serves the bundles, and the client must accept a bundle
// only if it hashes to the slash's on-chain evidenceHash and the attestation library's verifier
// accepts it under the assignment the client reads from the chain itself (pinned beacon, the assigned
// operators' peer-id keys). A hostile node serves another bundle; f + 1 colluding oracles slash on a
// forged or an unassigned challenger's bundle.

import {
  type Address,
  bytesToHex,
  createPublicClient,
  createWalletClient,
  type Hex,
  hexToBytes,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignedOracles } from "../../attestation/portable";
import {
  type Deployment,
  encodeFraudSlashReport,
  genesisBeacon,
  keystoneForwarderAbi,
  vigilRegistryAbi,
  vigilTokenAbi,
} from "../../contracts/index";
import { type ApiServer, serveApi } from "../../oracle-node/api/index";
import {
  createFeedClient,
  EvidenceMismatchError,
  FeedClientError,
  InvalidEvidenceError,
  NotSlashedOnChainError,
} from "../../oracle-node/feed/client/index";
import { lyingSource, oracleAccounts, oracleKeys } from "../../oracle-node/feed/fixture";
import { createFeedApp, createMemoryFeedSource } from "../../oracle-node/feed/index";
import { rawReport, signReport } from "../../scripts/contracts/forwarderReport";
import { deployVigil, workflowNameBytes10 } from "../../scripts/deploy/deploy";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { computeEvidence, testKey } from "../../workflows/fraud-slashing/testEvidence";

const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const deployer = privateKeyToAccount(DEPLOYER_KEY);
const keys = oracleKeys(4);
const oracles = oracleAccounts(4);
const workflowOwner = privateKeyToAccount(keccak256(toHex("feed.workflow.owner"))).address;
const fraudName = workflowNameBytes10("fraud-slashing");
const STAKE = parseEther("1");
const EPOCH_LENGTH = 60;
const K = 3;
/** The epoch the slashes land in: epoch 0's assignment was pinned before any operator registered. */
const EPOCH = 1n;

/** Each oracle's challenger key: the Ed25519 key in the libp2p peer id it registers. */
const challengerKeys = oracles.map((_, i) => testKey(`feed-evidence-operator-${i}`));
const peerIdOf = (i: number) =>
  bytesToHex(new Uint8Array([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, ...challengerKeys[i]!.publicKey]));
const devices = {
  honest: testKey("feed-evidence-device-honest-slash"),
  forged: testKey("feed-evidence-device-forged"),
  unassigned: testKey("feed-evidence-device-unassigned"),
  untouched: testKey("feed-evidence-device-untouched"),
};
const idOf = (d: { publicKey: Uint8Array }) => bytesToHex(d.publicKey) as Hex;

let anvil: Anvil;
let deployment: Deployment;
const source = createMemoryFeedSource();
const servers: ApiServer[] = [];
let honest: string;
/** The honest device's bundle, and the same exchange re-signed (valid, another hash). */
let evidence: Uint8Array;
let resigned: Uint8Array;

async function serve(s: Parameters<typeof createFeedApp>[0]): Promise<string> {
  const server = await serveApi(createFeedApp(s, { rateLimit: false }), { host: "127.0.0.1", port: 0 });
  servers.push(server);
  return server.url;
}

beforeAll(async () => {
  anvil = await startAnvil();
  deployment = await deployVigil({
    rpcUrl: anvil.rpcUrl,
    privateKey: DEPLOYER_KEY,
    signers: oracles.map((o) => o.address),
    f: 1,
    workflows: [{ kind: 2, owner: workflowOwner, name: fraudName }],
    network: {
      rewardBudgetPerEpoch: parseEther("1000"),
      stakePerDevice: STAKE,
      epochLength: EPOCH_LENGTH,
      k: K,
    },
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
      gas: 5_000_000n,
    });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  };
  const all = Object.values(devices);
  await send(deployment.token, vigilTokenAbi, "approve", [
    deployment.registry,
    parseEther("400") + STAKE * BigInt(all.length),
  ]);
  for (const [i, o] of oracles.entries())
    await send(deployment.registry, vigilRegistryAbi, "registerOperator", [
      o.address,
      peerIdOf(i),
      parseEther("100"),
    ]);
  for (const d of all)
    await send(deployment.registry, vigilRegistryAbi, "registerDevice", [1n, idOf(d), deployer.address]);
  // Into epoch 1: its assignment is pinned at the last block before it began (the registrations).
  await client.request({ method: "evm_increaseTime" as never, params: [EPOCH_LENGTH] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });

  // The chain's assignment, computed here from what the test registered (nothing settled yet).
  const beacon = hexToBytes(genesisBeacon(1n));
  const operators = oracles.map((o, i) => ({ signer: hexToBytes(o.address), key: challengerKeys[i]! }));
  const assignedTo = (d: { publicKey: Uint8Array }) => assignedOracles(beacon, d.publicKey, operators, K);
  const bundle = (d: (typeof devices)[keyof typeof devices], challenger = assignedTo(d)[0]!.key) =>
    computeEvidence({ networkId: 1n, epoch: EPOCH, label: idOf(d), challenger, beacon, device: d });

  const honestExchange = bundle(devices.honest);
  if (honestExchange.verdict.status !== "fraud") throw new Error("fixture exchange must prove fraud");
  evidence = honestExchange.verdict.evidence;
  resigned = honestExchange.resign(12345n);
  // f + 1 colluding oracles: a bundle whose challenger signature is broken, and a valid bundle by the
  // one operator not assigned to the device.
  const forgedExchange = bundle(devices.forged);
  if (forgedExchange.verdict.status !== "fraud") throw new Error("fixture exchange must prove fraud");
  const forged = new Uint8Array(forgedExchange.verdict.evidence);
  forged[forged.length - 1]! ^= 0x01;
  const outsider = operators.find((o) => !assignedTo(devices.unassigned).includes(o))!;
  const unassignedExchange = bundle(devices.unassigned, outsider.key);
  if (unassignedExchange.verdict.status !== "fraud") throw new Error("fixture exchange must prove fraud");

  let execution = 0;
  for (const [d, bytes] of [
    [devices.honest, evidence],
    [devices.forged, forged],
    [devices.unassigned, unassignedExchange.verdict.evidence],
  ] as const) {
    const raw = rawReport(
      {
        executionId: keccak256(toHex(`feed-evidence-execution-${execution++}`)),
        timestamp: Math.floor(Date.now() / 1000),
        donId: 1,
        configVersion: 1,
        workflowCid: keccak256(toHex("cid")),
        workflowName: fraudName,
        workflowOwner,
        reportId: "0x0002",
      },
      encodeFraudSlashReport(1n, EPOCH, {
        deviceId: idOf(d),
        amount: STAKE,
        reason: 1, // computeWrongRow: what a wrong compute answer proves
        evidenceHash: keccak256(bytes),
      }),
    );
    const context = keccak256(toHex(`feed-evidence-context-${execution}`));
    await send(deployment.forwarder, keystoneForwarderAbi, "report", [
      deployment.settlement,
      raw,
      context,
      await signReport(raw, context, keys.slice(0, 2)),
    ]);
    source.addEvidence({ networkId: 1n, epoch: EPOCH, deviceId: idOf(d), bytes });
  }
  honest = await serve(source);
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await anvil?.stop();
});

const client = (nodes: string[]) =>
  createFeedClient({
    nodes,
    chainId: anvil.chainId,
    settlement: deployment.settlement as Address,
    signers: { registry: deployment.registry as Address },
    publicClient: createPublicClient({ transport: http(anvil.rpcUrl) }),
    retries: 0,
  });

async function rejection(promise: Promise<unknown>): Promise<FeedClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeedClientError);
  return error as FeedClientError;
}

describe("slash evidence against the chain", () => {
  it("serves the bundle the on-chain slash names, re-verified under the chain's assignment", async () => {
    const got = await client([honest]).getSlashEvidence(1n, EPOCH, idOf(devices.honest));
    expect(got.slash.evidenceHash).toBe(keccak256(evidence));
    expect(got.slash.amount).toBe(STAKE);
    expect(got.evidence).toEqual(evidence);
    expect(got.fraud.reason).toBe("computeWrongRow");
    expect(got.fraud.beacon).toBe(genesisBeacon(1n));
    // The challenger is one of the k keys the client read as assigned, from the chain alone.
    expect(got.judges.challengers).toHaveLength(K);
    expect(got.judges.challengers).toContain(got.fraud.challenger);
    // The challenger's clock readings are its own word, typed so.
    expect(got.unverified.responseReceivedAtMs).toBe(2n);
  });

  it("rejects a bundle that does not hash to the on-chain evidenceHash, even a valid one", async () => {
    // The same exchange, re-signed by the same assigned challenger: it verifies, but it is not the
    // bundle the chain slashed on.
    const node = await serve(lyingSource(source, { evidence: (e) => ({ ...e, bytes: resigned }) }));
    const error = await rejection(client([node]).getSlashEvidence(1n, EPOCH, idOf(devices.honest)));
    expect(error).toBeInstanceOf(EvidenceMismatchError);
    expect(error.message).toContain(
      `evidence bundle hashes to ${keccak256(resigned)}, the on-chain slash names evidence ${keccak256(evidence)}`,
    );
    // With an honest node behind it, the client moves on and gets the right bundle.
    const got = await client([node, honest]).getSlashEvidence(1n, EPOCH, idOf(devices.honest));
    expect(got.evidence).toEqual(evidence);
  });

  it("rejects a bundle with a forged signature, though the chain slashed on it", async () => {
    const error = await rejection(client([honest]).getSlashEvidence(1n, EPOCH, idOf(devices.forged)));
    expect(error).toBeInstanceOf(InvalidEvidenceError);
    expect((error as InvalidEvidenceError).reason).toBe("BAD_SIGNATURE");
    expect(error.message).toContain("evidence bundle does not prove the slash: BAD_SIGNATURE");
  });

  it("rejects a valid bundle by an operator the chain did not assign to the device", async () => {
    const error = await rejection(client([honest]).getSlashEvidence(1n, EPOCH, idOf(devices.unassigned)));
    expect(error).toBeInstanceOf(InvalidEvidenceError);
    expect((error as InvalidEvidenceError).reason).toBe("NOT_ASSIGNED");
  });

  it("says so when the chain holds no slash of the device, without asking a node", async () => {
    const error = await rejection(client([honest]).getSlashEvidence(1n, EPOCH, idOf(devices.untouched)));
    expect(error).toBeInstanceOf(NotSlashedOnChainError);
    expect(error.node).toBeUndefined();
  });

  it("answers EVIDENCE_NOT_FOUND for a hash the node does not hold, and 400 for a malformed one", async () => {
    const missing = await fetch(`${honest}/v1/networks/1/epochs/1/evidence/${keccak256(toHex("nothing"))}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("EVIDENCE_NOT_FOUND");
    const malformed = await fetch(`${honest}/v1/networks/1/epochs/1/evidence/0x1234`);
    expect(malformed.status).toBe(400);
  });
});
