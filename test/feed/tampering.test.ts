// A hostile feed node against the client, on a real chain: the real feed app serves epochs that settled
// through the real KeystoneForwarder (with device slashes the contract applied or skipped), altered the
// way an operator controlling the node could; the client must notice each change against the chain and
// the registered signers, and say what was wrong.

import { createRequire } from "node:module";
import { dirname } from "node:path";
import { decodeResult } from "@chainlink/functions-toolkit/dist/decodeResult.js";
import { simulateScript } from "@chainlink/functions-toolkit/dist/simulateScript/simulateScript.js";
import { ReturnType } from "@chainlink/functions-toolkit/dist/types.js";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  decodeAbiParameters,
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
  keystoneForwarderAbi,
  vigilRegistryAbi,
  vigilSettlementAbi,
  vigilTokenAbi,
} from "../../contracts/index";
import { LINE_LEAF_TYPES, lineLeaf } from "../../contracts/lines";
import { type ApiServer, serveApi } from "../../oracle-node/api/index";
import {
  createFeedClient,
  ExportMismatchError,
  FeedClientError,
  ForeignSignerError,
  InvalidProofError,
  MissingEpochsError,
  NotSettledOnChainError,
  SettledMismatchError,
  SlashMismatchError,
  TamperedLineError,
  WithheldLineError,
} from "../../oracle-node/feed/client/index";
import {
  deviceId,
  generateLines,
  type Lie,
  lyingSource,
  observationsFor,
  oracleAccounts,
  oracleKeys,
  signResultVote,
} from "../../oracle-node/feed/fixture";
import { DEVICE_LINE_SOURCE } from "../../oracle-node/feed/functions/deviceLineSource";
import { createFeedApp, createMemoryFeedSource } from "../../oracle-node/feed/index";
import type { DeviceSlash, ExportedLine } from "../../oracle-node/feed/source";
import { rawReport, signReport } from "../../scripts/contracts/forwarderReport";
import { deployVigil, workflowNameBytes10 } from "../../scripts/deploy/deploy";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";

const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const deployer = privateKeyToAccount(DEPLOYER_KEY);
const keys = oracleKeys(4);
const oracles = oracleAccounts(4);
const workflowOwner = privateKeyToAccount(keccak256(toHex("feed.workflow.owner"))).address;
const settleName = workflowNameBytes10("epoch-settlement");
const DEVICES = 10;
const STAKE = parseEther("1");
/** `generateLines` slashes device 7 (`i % 50 === 7`) by 1 token in every epoch. */
const SLASHED = 7;
const slashOf = (epoch: bigint): DeviceSlash => ({
  deviceId: deviceId(SLASHED),
  amount: 10n ** 18n,
  reason: 1,
  evidenceHash: keccak256(toHex(`evidence.${epoch}`)),
});

let anvil: Anvil;
let deployment: Deployment;
const source = createMemoryFeedSource();
const servers: ApiServer[] = [];
let honest: string;

async function serveLie(lie: Lie): Promise<string> {
  const server = await serveApi(createFeedApp(lyingSource(source, lie), { rateLimit: false }), {
    host: "127.0.0.1",
    port: 0,
  });
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
    workflows: [{ kind: 1, owner: workflowOwner, name: settleName }],
    network: { rewardBudgetPerEpoch: parseEther("1000"), stakePerDevice: STAKE, epochLength: 1, k: 3 },
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
  await send(deployment.token, vigilTokenAbi, "approve", [
    deployment.registry,
    parseEther("400") + STAKE * BigInt(DEVICES),
  ]);
  for (const o of oracles)
    await send(deployment.registry, vigilRegistryAbi, "registerOperator", [
      o.address,
      "0x0024",
      parseEther("100"),
    ]);
  // Staked devices, so the settlement's slash of device 7 takes something (then nothing is left).
  for (let i = 0; i < DEVICES; i++)
    await send(deployment.registry, vigilRegistryAbi, "registerDevice", [1n, deviceId(i), deployer.address]);
  await send(deployment.token, vigilTokenAbi, "approve", [deployment.settlement, parseEther("2000")]);
  await send(deployment.settlement, vigilSettlementAbi, "depositBudget", [1n, parseEther("2000")]);
  await client.request({ method: "evm_increaseTime" as never, params: [10] as never });

  // Epochs 0..2 settle on chain, each listing device 7's slash: applied in epoch 0, skipped after
  // (nothing left to take). Epoch 3 is agreed by the oracles but not settled.
  const ctx = { chainId: anvil.chainId, settlement: deployment.settlement as Address };
  for (const epoch of [0n, 1n, 2n, 3n]) {
    const result = source.publishEpoch({
      networkId: 1n,
      epoch,
      ...observationsFor(
        oracles.map((o) => o.address),
        1n,
        epoch,
      ),
      lines: generateLines(1n, epoch, DEVICES, parseEther("500")),
      slashes: [slashOf(epoch)],
    });
    source.addVotes(
      1n,
      epoch,
      await Promise.all(oracles.slice(0, 3).map((o) => signResultVote(o, ctx, result))),
    );
    if (epoch === 3n) continue;
    const raw = rawReport(
      {
        executionId: keccak256(toHex(`feed-execution-${epoch}`)),
        timestamp: Math.floor(Date.now() / 1000),
        donId: 1,
        configVersion: 1,
        workflowCid: keccak256(toHex("cid")),
        workflowName: settleName,
        workflowOwner,
        reportId: "0x0001",
      },
      encodeEpochSettlementReport(result),
    );
    const context = keccak256(toHex(`context.${epoch}`));
    await send(deployment.forwarder, keystoneForwarderAbi, "report", [
      deployment.settlement,
      raw,
      context,
      await signReport(raw, context, keys.slice(0, 2)),
    ]);
    source.markSettled(1n, epoch);
  }
  const server = await serveApi(createFeedApp(source, { rateLimit: false }), { host: "127.0.0.1", port: 0 });
  servers.push(server);
  honest = server.url;
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await anvil?.stop();
});

const client = (nodes: string[], extra: { strict?: boolean } = {}) =>
  createFeedClient({
    nodes,
    chainId: anvil.chainId,
    settlement: deployment.settlement as Address,
    signers: { registry: deployment.registry as Address },
    publicClient: createPublicClient({ transport: http(anvil.rpcUrl) }),
    ...extra,
  });

async function rejection(promise: Promise<unknown>): Promise<FeedClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeedClientError);
  return error as FeedClientError;
}

describe("a hostile feed node against the chain", () => {
  it("serves the honest node's settled results, slashes, epochs and history as verified", async () => {
    const c = client([honest]);
    const applied = await c.getEpochResult(1n, 0n, { onChain: true });
    expect(applied.settled).toBe(true);
    expect(applied.slashes).toEqual([slashOf(0n)]);
    // Skipped on chain (nothing left to take) is still part of the settlement's list.
    expect((await c.getEpochResult(1n, 1n, { onChain: true })).slashes).toEqual([slashOf(1n)]);

    const page = await c.listEpochs(1n, { onChain: true });
    expect(page.items.map((i) => [i.epoch, i.settledOnChain])).toEqual([
      [3n, false],
      [2n, true],
      [1n, true],
      [0n, true],
    ]);
    // Paged, each page answers for the settled epochs in its own span.
    const first = await c.listEpochs(1n, { onChain: true, limit: 2 });
    const rest = await c.listEpochs(1n, { onChain: true, limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...rest.items].map((i) => i.epoch)).toEqual([3n, 2n, 1n, 0n]);
    expect(rest.nextCursor).toBeNull();
    const history = await c.getDeviceHistory(1n, deviceId(4), { onChain: true });
    expect(history.items.map((i) => i.settledOnChain)).toEqual([false, true, true, true]);
    const proven = history.items[1]!;
    expect(proven.settledOnChain && proven.line).toEqual(
      generateLines(1n, 2n, DEVICES, parseEther("500"))[4],
    );
  });

  it("rejects a result whose slashes were dropped", async () => {
    const node = await serveLie({ result: (r) => ({ ...r, slashes: [] }) });
    // Offline the list is only the node's word, and typed so.
    expect((await client([node]).getEpochResult(1n, 0n)).unverified.slashes).toEqual([]);
    const error = await rejection(client([node]).getEpochResult(1n, 0n, { onChain: true }));
    expect(error).toBeInstanceOf(SlashMismatchError);
    expect(error.message).toContain(`slash of device ${deviceId(SLASHED)}`);
    expect(error.message).toContain("applied by the settlement of epoch 0 is missing from the served list");
  });

  it("rejects a result with a slash the settlement never carried", async () => {
    const fake: DeviceSlash = {
      deviceId: deviceId(2),
      amount: 0n,
      reason: 1,
      evidenceHash: keccak256(toHex("framed")),
    };
    const node = await serveLie({ result: (r) => ({ ...r, slashes: [...r.slashes, fake] }) });
    const error = await rejection(client([node]).getEpochResult(1n, 1n, { onChain: true }));
    expect(error).toBeInstanceOf(SlashMismatchError);
    expect(error.message).toContain(`served slash of device ${deviceId(2)}`);
    expect(error.message).toContain("is not in the settlement of epoch 1");
  });

  it("rejects a slash with another reason or a smaller amount than the chain took", async () => {
    const reason = await serveLie({
      result: (r) => ({ ...r, slashes: r.slashes.map((s) => ({ ...s, reason: 3 })) }),
    });
    const byReason = await rejection(client([reason]).getEpochResult(1n, 0n, { onChain: true }));
    expect(byReason.message).toContain("served with reason 3, applied on chain with reason 1");
    const amount = await serveLie({
      result: (r) => ({ ...r, slashes: r.slashes.map((s) => ({ ...s, amount: 1n })) }),
    });
    const byAmount = await rejection(client([amount]).getEpochResult(1n, 0n, { onChain: true }));
    expect(byAmount.message).toContain(`served as 1, but the chain took ${10n ** 18n}`);
  });

  it("rejects a node calling an unsettled epoch settled", async () => {
    const node = await serveLie({
      result: (r) => ({ ...r, settled: true }),
      line: (p) => ({ ...p, result: { ...p.result, settled: true } }),
      epochs: (page) => ({ ...page, items: page.items.map((i) => ({ ...i, settled: true })) }),
      history: (page) => ({ ...page, items: page.items.map((i) => ({ ...i, settled: true })) }),
    });
    const c = client([node]);
    expect((await c.getEpochResult(1n, 3n)).unverified.settled).toBe(true);
    const expected = "served epoch 3 of network 1 as settled, but the settlement contract has not settled it";
    for (const attempt of [
      () => c.getEpochResult(1n, 3n, { onChain: true }),
      () => c.getDeviceLine(1n, 3n, deviceId(1), { onChain: true }),
      () => c.listEpochs(1n, { onChain: true }),
      () => c.getDeviceHistory(1n, deviceId(1), { onChain: true }),
    ]) {
      const error = await rejection(attempt());
      expect(error).toBeInstanceOf(SettledMismatchError);
      expect(error.message).toContain(expected);
    }
  });

  it("rejects a history line whose reward was inflated, with or without a recomputed leaf", async () => {
    const inflate = (recomputeLeaf: boolean): Lie => ({
      history: (page) => ({
        ...page,
        items: page.items.map((i) => {
          const line = { ...i.line, reward: 10n ** 24n };
          return { ...i, line, leaf: recomputeLeaf ? lineLeaf(line) : i.leaf };
        }),
      }),
    });
    const kept = await serveLie(inflate(false));
    // Offline the items are typed unverified: nothing says the reward is true.
    expect((await client([kept]).getDeviceHistory(1n, deviceId(4))).items[1]!.unverified.line.reward).toBe(
      10n ** 24n,
    );
    const tampered = await rejection(client([kept]).getDeviceHistory(1n, deviceId(4), { onChain: true }));
    expect(tampered).toBeInstanceOf(TamperedLineError);
    expect(tampered.message).toContain("device line does not hash to the proven leaf");
    const recomputed = await serveLie(inflate(true));
    const invalid = await rejection(
      client([recomputed]).getDeviceHistory(1n, deviceId(4), { onChain: true }),
    );
    expect(invalid).toBeInstanceOf(InvalidProofError);
    expect(invalid.message).toContain("Merkle proof does not lead to the result root");
  });

  it("accounts for every epoch of a history range: a withheld line is typed absent, or caught by export", async () => {
    const honestRange = await client([honest]).getDeviceHistoryRange(1n, deviceId(4), {
      fromEpoch: 0n,
      toEpoch: 2n,
    });
    expect(honestRange.entries.map((e) => [e.epoch, e.status])).toEqual([
      [2n, "line"],
      [1n, "line"],
      [0n, "line"],
    ]);
    // A node that drops epoch 1 from the history: the entry is there, typed as the node's word.
    const dropping = await serveLie({
      history: (page) => ({ ...page, items: page.items.filter((i) => i.line.epoch !== 1n) }),
    });
    const range = await client([dropping]).getDeviceHistoryRange(1n, deviceId(4), {
      fromEpoch: 0n,
      toEpoch: 2n,
    });
    expect(range.entries.map((e) => e.status)).toEqual(["line", "absent", "line"]);
    expect(range.entries[1]).toEqual({
      epoch: 1n,
      status: "absent",
      absenceProven: false,
      unverified: { node: dropping },
    });
    // Proving absence exports the epoch against the chain's root: the line is there, so it was withheld.
    const withheld = await rejection(
      client([dropping]).getDeviceHistoryRange(1n, deviceId(4), {
        fromEpoch: 1n,
        toEpoch: 2n,
        proveAbsence: true,
      }),
    );
    expect(withheld).toBeInstanceOf(WithheldLineError);
    expect(withheld.message).toContain(
      `history of device ${deviceId(4)} leaves out its line in epoch 1 of network 1, which the epoch's verified export holds`,
    );
    // A device with no line at all: absence proven by the exports (each node allows 2 at once).
    const stranger = `0x${"ee".repeat(32)}` as Hex;
    const absent = await client([await serveLie({})]).getDeviceHistoryRange(1n, stranger, {
      fromEpoch: 1n,
      toEpoch: 2n,
      proveAbsence: true,
    });
    expect(absent.entries).toEqual([
      { epoch: 2n, status: "absent", absenceProven: true },
      { epoch: 1n, status: "absent", absenceProven: true },
    ]);
    // The range must be settled on chain: epoch 3 is agreed but not settled.
    expect(
      await rejection(
        client([honest]).getDeviceHistoryRange(1n, deviceId(4), { fromEpoch: 0n, toEpoch: 3n }),
      ),
    ).toBeInstanceOf(NotSettledOnChainError);
  });

  it("rejects an epoch list that hides settled epochs", async () => {
    const hideNewest = await serveLie({
      epochs: (page) => ({ ...page, items: page.items.filter((i) => i.epoch !== 2n) }),
    });
    const newest = await rejection(client([hideNewest]).listEpochs(1n, { onChain: true }));
    expect(newest).toBeInstanceOf(MissingEpochsError);
    expect(newest.message).toContain(
      "epoch list of network 1 leaves out settled epochs 2 (the settlement contract's nextEpoch is 3)",
    );
    // Hiding everything settled behind an unsettled epoch and an end of list is caught the same way.
    const onlyPending = await serveLie({
      epochs: (page) => ({ items: page.items.filter((i) => i.epoch === 3n), next: null }),
    });
    const all = await rejection(client([onlyPending]).listEpochs(1n, { onChain: true }));
    expect(all.message).toContain("leaves out settled epochs 2, 1, 0");
  });

  it("leaves a foreign signer beside the real votes out and names it; strict rejects it with the right numbers", async () => {
    const [outsider] = oracleAccounts(1, "not.registered");
    const ctx = { chainId: anvil.chainId, settlement: deployment.settlement as Address };
    const node = await serveLie({
      result: async (r) => ({
        ...r,
        votes: [...r.votes, r.votes[0]!, await signResultVote(outsider!, ctx, r)],
      }),
    });
    const got = await client([node]).getEpochResult(1n, 0n, { onChain: true });
    expect(got.verifiedSigners).toEqual(oracles.slice(0, 3).map((o) => o.address));
    expect(got.foreignSigners).toEqual([outsider!.address]);
    const error = await rejection(client([node], { strict: true }).getEpochResult(1n, 0n, { onChain: true }));
    expect(error).toBeInstanceOf(ForeignSignerError);
    expect(error.message).toContain(
      `votes signed by unregistered signers (${outsider!.address}) rejected in strict mode (3 distinct registered signers voted, 2 required)`,
    );
  });
});

// The toolkit spawns `deno` from the PATH; the npm `deno` package ships the binary in its folder.
const denoDir = dirname(createRequire(import.meta.url).resolve("deno/package.json"));
process.env.PATH = `${denoDir}:${process.env.PATH}`;

describe("a hostile node's epoch export against the chain", () => {
  /** A node serving the honest export with `edit` applied to its rows. */
  async function serveExport(edit: (rows: ExportedLine[]) => ExportedLine[]): Promise<string> {
    const server = await serveApi(
      createFeedApp(
        {
          ...source,
          async *exportLines(n, e, root) {
            for await (const rows of source.exportLines!(n, e, root)) yield edit(structuredClone(rows));
          },
        },
        { rateLimit: false },
      ),
      { host: "127.0.0.1", port: 0 },
    );
    servers.push(server);
    return server.url;
  }

  it("exports a settled epoch whose rows rebuild the on-chain root, with its slashes checked", async () => {
    const exported = await client([honest]).exportEpoch(1n, 0n, { onChain: true });
    expect(exported.result.checkedOnChain).toBe(true);
    expect(exported.result.slashes).toEqual([slashOf(0n)]);
    expect(exported.lines).toEqual(
      [...generateLines(1n, 0n, DEVICES, parseEther("500"))].sort((a, b) =>
        a.deviceId < b.deviceId ? -1 : 1,
      ),
    );
  });

  it("rejects an export with one row's reward raised, or a row left out", async () => {
    const raised = await serveExport((rows) =>
      rows.map((r, i) => (i === 2 ? { ...r, line: { ...r.line, reward: r.line.reward + 1n } } : r)),
    );
    const error = await rejection(client([raised]).exportEpoch(1n, 0n, { onChain: true }));
    expect(error).toBeInstanceOf(ExportMismatchError);
    expect(error.message).toMatch(/rows rebuild root 0x[0-9a-f]{64}, the verified result root is 0x/);
    const short = await serveExport((rows) => rows.slice(0, -1));
    expect((await rejection(client([short]).exportEpoch(1n, 0n, { onChain: true }))).message).toContain(
      `stream ended after ${DEVICES - 1} of ${DEVICES} rows`,
    );
  });

  it("rejects an export whose header drops the slashes, before reading rows", async () => {
    const node = await serveLie({ result: (r) => ({ ...r, slashes: [] }) });
    expect(await rejection(client([node]).exportEpoch(1n, 0n, { onChain: true }))).toBeInstanceOf(
      SlashMismatchError,
    );
  });
});

describe("the Chainlink Functions source against the chain", () => {
  const simulate = (epoch: bigint, node: string) =>
    simulateScript({
      source: DEVICE_LINE_SOURCE,
      args: [
        "1",
        String(epoch),
        deviceId(4),
        "0",
        "true",
        String(anvil.chainId),
        deployment.settlement,
        oracles.map((o) => o.address).join(","),
        anvil.rpcUrl,
        node,
      ],
      maxExecutionTimeMs: 20_000,
    });

  it("returns a line under the root the settlement contract stored", async () => {
    const result = await simulate(0n, honest);
    expect(result.errorString, result.capturedTerminalOutput).toBeUndefined();
    const bytes = decodeResult(result.responseBytesHexstring!, ReturnType.bytes) as Hex;
    const [line] = decodeAbiParameters(
      [
        {
          type: "tuple",
          components: LINE_LEAF_TYPES.map((type) => ({ type })),
        },
      ],
      bytes,
    );
    expect(Object.values(line)).toEqual(Object.values(generateLines(1n, 0n, DEVICES, parseEther("500"))[4]!));
  });

  it("rejects a root that f + 1 colluding oracles signed but the chain did not settle", async () => {
    // Oracles 2 and 3 (f + 1 registered signers) sign their own tree for epoch 0 with inflated rewards.
    const forged = createMemoryFeedSource();
    const ctx = { chainId: anvil.chainId, settlement: deployment.settlement as Address };
    const result = forged.publishEpoch({
      networkId: 1n,
      epoch: 0n,
      observationsCommitment: observationsFor(
        oracles.map((o) => o.address),
        1n,
        0n,
      ).observationsCommitment,
      lines: generateLines(1n, 0n, DEVICES, parseEther("500")).map((l) => ({ ...l, reward: l.reward * 2n })),
    });
    forged.addVotes(1n, 0n, await Promise.all(oracles.slice(2).map((o) => signResultVote(o, ctx, result))));
    const server = await serveApi(createFeedApp(forged, { rateLimit: false }), {
      host: "127.0.0.1",
      port: 0,
    });
    servers.push(server);
    const settledRoot = (await source.getEpochResult(1n, 0n))!.resultRoot;
    const result0 = await simulate(0n, server.url);
    expect(result0.responseBytesHexstring).toBeUndefined();
    expect(result0.errorString).toContain(`no node served the settled root ${settledRoot}`);
  });

  it("checks requireSettled on chain, not by the node's flag", async () => {
    const node = await serveLie({ line: (p) => ({ ...p, result: { ...p.result, settled: true } }) });
    const result = await simulate(3n, node);
    expect(result.responseBytesHexstring).toBeUndefined();
    expect(result.errorString).toContain("epoch 3 is not settled on chain");
  });
});
