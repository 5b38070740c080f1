// Vigil's own workflows on a 4-node DON against the real contracts: KeystoneForwarder checks the
// DON's signatures and VigilSettlement checks the workflow owner and bytes10 name in the metadata.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import {
  type Abi,
  type Address,
  bytesToHex,
  type Hex,
  hexToBytes,
  keccak256,
  parseEther,
  toHex,
  zeroHash,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignedOracles, type Signer } from "../../attestation/index";
import { vigilSettlementAbi } from "../../contracts/index";
import { computeEvidence, testKey } from "../../workflows/fraud-slashing/testEvidence";
import { observationsCommitment } from "../agreement/index";
import { getNetwork, getOperators, readEpochBeacon } from "../chain/index";
import { bundleWorkflow } from "./bundle";
import { startLocalDon } from "./localDon";
import { workflowNameToBytes10 } from "./report";
import { ANVIL_CHAIN_SELECTOR, type CreTestChain, deployVigil, startCreTestChain } from "./testChain";

const OWNER: Hex = "0x2222222222222222222222222222222222222222";
const workflowsDir = new URL("../../workflows/", import.meta.url).pathname;

describe("Vigil workflows settle VigilSettlement through KeystoneForwarder", () => {
  let chain: CreTestChain;
  let settlement: { address: Address; abi: Abi };
  let registry: { address: Address; abi: Abi };
  let networkId: bigint;
  const servers: Server[] = [];
  const apiUrls: string[] = [];
  const resultRoot = keccak256("0x01");
  // Registered oracles (the registry's operators, not the DON's report signers): their Ed25519 keys
  // sign challenges and evidence, their signers rank them in the assignment (k = 1).
  const oracles = Array.from({ length: 4 }, (_, i) => ({
    key: testKey(`settlement-it:oracle-${i}`),
    signer: privateKeyToAccount(keccak256(toHex(`settlement-it:oracle-${i}`))).address,
  }));
  const devices = {
    cheat: testKey("settlement-it:cheat"),
    other: testKey("settlement-it:other"),
    late: testKey("settlement-it:late"),
    stale: testKey("settlement-it:stale"),
  };

  beforeAll(async () => {
    chain = await startCreTestChain();
    const vigil = await deployVigil(chain, {
      workflowOwner: OWNER,
      settleName: workflowNameToBytes10("vigil-epoch-settlement"),
      slashName: workflowNameToBytes10("vigil-fraud-slashing"),
    });
    ({ settlement, registry, networkId } = vigil);
    expect(networkId).toBe(1n);
    for (const d of Object.values(devices))
      await vigil.send(registry, "registerDevice", [
        networkId,
        bytesToHex(d.publicKey),
        chain.admin.account!.address,
      ]);
    for (const o of oracles)
      await vigil.send(registry, "registerOperator", [
        o.signer,
        bytesToHex(peerIdFromPublicKey(publicKeyFromRaw(o.key.publicKey)).toMultihash().bytes),
        parseEther("1"),
      ]);

    // Four node APIs; each node reads its own through the VIGIL_NODE_API_URL secret. The result lists the
    // registered oracles' observations, which the contract checks against the commitment.
    const observations = oracles.map((o, i) => ({
      observer: o.signer,
      hash: keccak256(toHex(`observation-${i}`)),
    }));
    const result = {
      networkId: "1",
      epoch: "0",
      resultRoot,
      observationsCommitment: observationsCommitment(observations),
      observations,
      deviceCount: 1,
      qualifiedCount: 1,
      totalReward: parseEther("900").toString(),
      totalSlash: "0",
      settled: false,
      slashes: [],
      votes: [],
    };
    for (let i = 0; i < 4; i++) {
      const server = createServer((req, res) => {
        const ok = req.url === "/v1/networks/1/epochs/0";
        res.statusCode = ok ? 200 : 404;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(ok ? result : { error: { code: "EPOCH_NOT_FOUND", message: "no result" } }));
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      servers.push(server);
      apiUrls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await chain?.stop();
  });

  const startDon = async (workflow: string, config: Record<string, unknown>) =>
    startLocalDon({
      bundle: await bundleWorkflow(`${workflowsDir}${workflow}/main.ts`),
      config: new TextEncoder().encode(JSON.stringify(config)),
      workflow: { name: `vigil-${workflow}`, owner: OWNER },
      donId: chain.donId,
      configVersion: chain.configVersion,
      f: chain.f,
      signerKeys: chain.signerKeys,
      transmitterKeys: chain.transmitterKeys,
      chain: {
        chainSelector: ANVIL_CHAIN_SELECTOR,
        chainId: chain.anvil.chainId,
        rpcUrl: chain.anvil.rpcUrl,
        forwarder: chain.forwarder,
      },
      transmitDelayMs: 300,
      secrets: (node) => (id) => (id === "VIGIL_NODE_API_URL" ? apiUrls[node] : undefined),
    });

  it("epoch-settlement settles the next epoch with the agreed result", async () => {
    const don = await startDon("epoch-settlement", {
      networkId: "1",
      schedule: "0 * * * * *",
      nodeApiUrl: "http://127.0.0.1:1",
      chainSelectorName: "anvil-devnet",
      settlement: settlement.address,
      gasLimit: "1000000",
    });
    try {
      const outcomes = await don.fireCron(new Date("2026-01-01T00:01:00Z"));
      for (const o of outcomes) expect(o, o.error).toMatchObject({ ok: true });
      expect(outcomes[0]!.value).toMatch(/^settled epoch 0 in 0x/);
      const stored = (await chain.publicClient.readContract({
        ...settlement,
        functionName: "epochResult",
        args: [networkId, 0n],
      })) as { resultRoot: Hex; totalReward: bigint };
      expect(stored.resultRoot).toBe(resultRoot);
      expect(stored.totalReward).toBe(parseEther("900"));
      expect(
        await chain.publicClient.readContract({
          ...settlement,
          functionName: "nextEpoch",
          args: [networkId],
        }),
      ).toBe(1n);

      // No node holds a result for epoch 1, which ended over two epochs ago (genesis was ten
      // epochs back): rather than hold every later epoch, the DON settles it as an explicit timeout,
      // in one transaction, and the contract takes it (zero root, nothing paid).
      const budget = await chain.publicClient.readContract({
        ...settlement,
        functionName: "budgetOf",
        args: [networkId],
      });
      const later = await don.fireCron(new Date("2026-01-01T00:02:00Z"));
      for (const o of later) expect(o, o.error).toMatchObject({ ok: true });
      expect(new Set(later.map((o) => o.value)).size).toBe(1);
      expect(later[0]!.value).toMatch(/^settled by timeout epoch 1 in 0x/);
      const timedOut = (await chain.publicClient.readContract({
        ...settlement,
        functionName: "epochResult",
        args: [networkId, 1n],
      })) as { resultRoot: Hex; totalReward: bigint; deviceCount: number };
      expect(timedOut).toMatchObject({ resultRoot: zeroHash, totalReward: 0n, deviceCount: 0 });
      expect(
        await chain.publicClient.readContract({
          ...settlement,
          functionName: "nextEpoch",
          args: [networkId],
        }),
      ).toBe(2n);
      expect(
        await chain.publicClient.readContract({ ...settlement, functionName: "budgetOf", args: [networkId] }),
      ).toBe(budget);
      const events = await chain.publicClient.getContractEvents({
        ...settlement,
        eventName: "EpochTimedOut",
        fromBlock: 0n,
      });
      expect(events.map((e) => e.args)).toEqual([{ networkId, epoch: 1n }]);
    } finally {
      await don.stop();
    }
  });

  describe("fraud-slashing", () => {
    let don: Awaited<ReturnType<typeof startDon>>;
    const read = <T>(functionName: string, args: unknown[]) =>
      chain.publicClient.readContract({ ...settlement, functionName, args }) as Promise<T>;
    const stakeOf = async (d: Signer) =>
      (
        (await chain.publicClient.readContract({
          ...registry,
          functionName: "getDevice",
          args: [bytesToHex(d.publicKey)],
        })) as { stake: bigint }
      ).stake;
    const fire = (evidence: Uint8Array, eventId: string) =>
      don.fireHttp(new TextEncoder().encode(JSON.stringify({ evidence: bytesToHex(evidence) })), { eventId });
    const head = async () => (await chain.publicClient.getBlock()).timestamp;

    /**
     * The chain's epoch now and, for a device, its judges as the nodes derive them: the settlement's
     * beacon and the active operators where the epoch began, rendezvous over the signers.
     */
    async function assignment(device: Signer) {
      const net = await getNetwork(chain.publicClient, registry.address, networkId);
      const epoch = ((await head()) - net.genesisTime) / BigInt(net.epochLength);
      const start = net.genesisTime + epoch * BigInt(net.epochLength);
      const { beacon, blockNumber } = await readEpochBeacon(
        chain.publicClient,
        settlement.address,
        networkId,
        start,
      );
      const active = (
        await getOperators(chain.publicClient, registry.address, { blockNumber: blockNumber! })
      ).filter((o) => o.status === "Active");
      const [first] = assignedOracles(
        hexToBytes(beacon),
        device.publicKey,
        active.map((o) => ({ signer: hexToBytes(o.signer) })),
        net.k,
      );
      const judge = oracles.find((o) => o.signer.toLowerCase() === bytesToHex(first!.signer))!;
      return { epoch, beacon, judge, bystander: oracles.find((o) => o !== judge)! };
    }

    beforeAll(async () => {
      don = await startDon("fraud-slashing", {
        networkId: "1",
        slashAmount: parseEther("4").toString(),
        authorizedKeys: [],
        chainSelectorName: "anvil-devnet",
        settlement: settlement.address,
        registry: registry.address,
        gasLimit: "1000000",
      });
      // The operators registered during this epoch: the assignment counts them from the next one, the
      // first to begin after the epoch-0 settlement moved the beacon. Anvil starts it now.
      const epochLength = 60n;
      const genesis = (await getNetwork(chain.publicClient, registry.address, networkId)).genesisTime;
      const next = genesis + (((await head()) - genesis) / epochLength + 1n) * epochLength;
      await chain.publicClient.request({
        method: "evm_setNextBlockTimestamp" as never,
        params: [toHex(next)] as never,
      });
      await chain.publicClient.request({ method: "evm_mine" as never, params: [] as never });
    });
    afterAll(async () => {
      await don?.stop();
    });

    it("slashes the device at once on evidence from its assigned oracle, and the same evidence never twice", async () => {
      const { epoch, beacon, judge } = await assignment(devices.cheat);
      // The epoch-0 settlement moved the beacon before this epoch began: not the genesis one.
      expect(beacon).toBe(await read<Hex>("beacon", [networkId]));
      const fraud = computeEvidence({
        networkId,
        epoch,
        label: "settlement-it",
        challenger: judge.key,
        device: devices.cheat,
        beacon: hexToBytes(beacon),
      });
      if (fraud.verdict.status !== "fraud") throw new Error("fixture must prove fraud");
      const evidence = fraud.verdict.evidence;
      const outcomes = await fire(evidence, "cheat");
      for (const o of outcomes)
        expect(o, o.error).toMatchObject({ ok: true, value: expect.stringMatching(/^slashed in 0x/) });
      expect(await read("isEvidenceApplied", [keccak256(evidence)])).toBe(true);
      expect(await read("isSlashed", [networkId, epoch, bytesToHex(devices.cheat.publicKey)])).toBe(true);
      expect(await stakeOf(devices.cheat)).toBe(parseEther("6"));
      const budget = await read<bigint>("budgetOf", [networkId]);

      // Submitted again as a new request: a new execution and report, which the contract skips.
      const again = await fire(evidence, "cheat-again");
      for (const o of again) expect(o, o.error).toMatchObject({ ok: true });
      expect(await read("budgetOf", [networkId])).toBe(budget);

      // The same exchange signed again with another receive time: valid evidence under a new hash,
      // which every node accepts; the contract slashes the device once per epoch all the same.
      const fromBlock = (await chain.publicClient.getBlockNumber()) + 1n;
      const resigned = fraud.resign(3n);
      expect(keccak256(resigned)).not.toBe(keccak256(evidence));
      const third = await fire(resigned, "cheat-resigned");
      for (const o of third)
        expect(o, o.error).toMatchObject({ ok: true, value: expect.stringMatching(/^slashed in 0x/) });
      expect(await read("isEvidenceApplied", [keccak256(resigned)])).toBe(false);
      expect(await stakeOf(devices.cheat)).toBe(parseEther("6"));
      expect(await read("budgetOf", [networkId])).toBe(budget);
      const skipped = await chain.publicClient.getContractEvents({
        address: settlement.address,
        abi: vigilSettlementAbi,
        eventName: "DeviceSlashSkipped",
        fromBlock,
      });
      expect(skipped.map((e) => e.args)).toEqual([
        {
          networkId,
          epoch,
          deviceId: bytesToHex(devices.cheat.publicKey),
          evidenceHash: keccak256(resigned),
          reason: 0, // AlreadySlashed
        },
      ]);
    });

    it("rejects evidence from a registered oracle not assigned to the device, and slashes nothing", async () => {
      const { epoch, beacon, bystander } = await assignment(devices.other);
      const fromBlock = await chain.publicClient.getBlockNumber();
      const fraud = computeEvidence({
        networkId,
        epoch,
        label: "settlement-it",
        challenger: bystander.key,
        device: devices.other,
        beacon: hexToBytes(beacon),
      });
      if (fraud.verdict.status !== "fraud") throw new Error("fixture must prove fraud");
      const outcomes = await fire(fraud.verdict.evidence, "bystander");
      for (const o of outcomes)
        expect(o, o.error).toMatchObject({
          ok: true,
          value: "rejected:NOT_ASSIGNED: challenger not assigned to the device in the epoch",
        });
      // Nothing was sent to the forwarder, and the device keeps its stake.
      expect(await chain.publicClient.getBlockNumber()).toBe(fromBlock);
      expect(await stakeOf(devices.other)).toBe(parseEther("10"));
      expect(await read("isSlashed", [networkId, epoch, bytesToHex(devices.other.publicKey)])).toBe(false);
    });

    it("rejects evidence of a stale epoch, and a report that lands after its epoch closed is delivered but not applied", async () => {
      // Two epochs behind, from the oracle assigned then: the DON refuses it before any report.
      const now = await assignment(devices.stale);
      const fromBlock = await chain.publicClient.getBlockNumber();
      const old = computeEvidence({
        networkId,
        epoch: now.epoch - 2n,
        label: "settlement-it",
        challenger: now.judge.key,
        device: devices.stale,
      });
      if (old.verdict.status !== "fraud") throw new Error("fixture must prove fraud");
      for (const o of await fire(old.verdict.evidence, "stale"))
        expect(o, o.error).toMatchObject({
          ok: true,
          value: expect.stringMatching(/^rejected:NOT_ASSIGNED: epoch \d+ is closed to evidence/),
        });
      expect(await chain.publicClient.getBlockNumber()).toBe(fromBlock);

      // Evidence the DON judges in its epoch, whose report is mined two epochs later (the chain
      // stalled, or the transmitters were slow): the contract's own window skips it, with its reason.
      const { epoch, beacon, judge } = await assignment(devices.late);
      const late = computeEvidence({
        networkId,
        epoch,
        label: "settlement-it",
        challenger: judge.key,
        device: devices.late,
        beacon: hexToBytes(beacon),
      });
      if (late.verdict.status !== "fraud") throw new Error("fixture must prove fraud");
      const genesis = (await getNetwork(chain.publicClient, registry.address, networkId)).genesisTime;
      await chain.publicClient.request({
        method: "evm_setNextBlockTimestamp" as never,
        params: [toHex(genesis + (epoch + 2n) * 60n)] as never,
      });
      const outcomes = await fire(late.verdict.evidence, "late");
      for (const o of outcomes)
        expect(o, o.error).toMatchObject({ ok: true, value: expect.stringMatching(/^slashed in 0x/) });
      const processed = await chain.publicClient.getContractEvents({
        address: chain.forwarder,
        abi: chain.forwarderAbi,
        eventName: "ReportProcessed",
        fromBlock: fromBlock + 1n,
      });
      expect(processed.map((e) => (e.args as { result: boolean }).result)).toEqual([true]);
      const skipped = await chain.publicClient.getContractEvents({
        address: settlement.address,
        abi: vigilSettlementAbi,
        eventName: "DeviceSlashSkipped",
        fromBlock: fromBlock + 1n,
      });
      expect(skipped.map((e) => [e.args.epoch, e.args.reason])).toEqual([[epoch, 3]]); // EpochNotAdmissible
      expect(await stakeOf(devices.late)).toBe(parseEther("10"));
      expect(await read("isSlashed", [networkId, epoch, bytesToHex(devices.late.publicKey)])).toBe(false);
    });
  });
});
