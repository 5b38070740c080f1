// The device's chain assignment against a real anvil, held to the node's own rule (its pinned
// beacon read and `assignDevice`) for the same chain state.
import { generateKeyPair, publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey, peerIdFromPublicKey } from "@libp2p/peer-id";
import {
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  encodeEpochSettlementReport,
  genesisBeacon,
  nextBeacon,
  vigilSettlementAbi,
} from "../../contracts/index";
import { assignDevice } from "../../oracle-node/assignment/index";
import { readEpochBeacon } from "../../oracle-node/chain/readEpochBeacon";
import { getNetwork, getOperators } from "../../oracle-node/chain/reads";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { ANVIL_KEY, type Deployed, deployChainFixture } from "../../test/node/chainFixture";
import { bytesToHex } from "../bytes";
import { challengePolicy, challengeRounds } from "../policy/index";
import { keyFromLabel, testCapabilities } from "../testing";
import type { Verdict } from "../verdict";
import { createChainAssignment } from "./chainAssignment";
import { createChallengerGateway } from "./challengerGateway";
import { startDeviceAgent } from "./deviceAgent";
import type { DeviceGateway } from "./gateway";

const EPOCH_LENGTH = 60;
const K = 3;
const hex = (b: Uint8Array): Hex => `0x${bytesToHex(b)}`;

let anvil: Anvil;
let chain: Deployed;
let networkId: bigint;
/** Five oracles with Ed25519 peer ids (challenger keys) and one with a secp256k1 peer id. */
const ed25519Oracles = [1, 2, 3, 4, 5].map((i) => ({
  key: keyFromLabel(`chain-oracle-${i}`),
  signer: privateKeyToAccount(keccak256(toHex(`chain-oracle-signer-${i}`))).address,
}));
const secpSigner = privateKeyToAccount(keccak256(toHex("chain-oracle-signer-secp"))).address;
/** Signer address (lowercase) → challenger key, for the Ed25519 oracles. */
const keyOf = new Map(ed25519Oracles.map((o) => [o.signer.toLowerCase(), hex(o.key.publicKey)]));
const devices = Array.from({ length: 30 }, (_, i) => keyFromLabel(`chain-device-${i}`).publicKey);

beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
  for (const o of ed25519Oracles)
    await chain.registerOperator(o.signer, peerIdFromPublicKey(publicKeyFromRaw(o.key.publicKey)).toString());
  await chain.registerOperator(
    secpSigner,
    peerIdFromPrivateKey(await generateKeyPair("secp256k1")).toString(),
  );
  // Epoch 0 starts at the network's registration block: the operators' blocks must be stamped
  // before it (anvil stamps blocks mined within one second alike) to be in its assignment.
  await advance(1);
  networkId = await chain.registerNetwork({ epochLength: EPOCH_LENGTH, k: K });
});
afterAll(async () => {
  await anvil?.stop();
});

/** What the node derives for `epoch`: its pinned beacon and, per device, the challenger keys of `assignDevice`. */
async function nodeView(epoch: bigint) {
  const client = chain.publicClient;
  const network = await getNetwork(client, chain.registry, networkId);
  const start = network.genesisTime + epoch * BigInt(network.epochLength);
  const { beacon, blockNumber } = await readEpochBeacon(client, chain.settlement, networkId, start);
  const operators = await getOperators(client, chain.registry, { blockNumber: blockNumber! });
  const nodes = operators.filter((o) => o.status === "Active").map((o) => o.signer);
  const challengersOf = (deviceId: Uint8Array) =>
    assignDevice({ beacon, deviceId: hex(deviceId), nodes, k: network.k }).flatMap((a) => {
      const key = keyOf.get(a.toLowerCase());
      return key ? [key] : [];
    });
  return { beacon, challengersOf, nodes };
}

const advance = async (seconds: number) => {
  await chain.publicClient.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
  await chain.publicClient.request({ method: "evm_mine" as never, params: [] as never });
};

describe("chain assignment (real anvil)", () => {
  it("gives each device the challenger keys the node's assignDevice picks, k of n, under the pinned beacon", async () => {
    const source = createChainAssignment({
      client: chain.publicClient,
      registry: chain.registry,
      settlement: chain.settlement,
      networkId,
    });
    const view = await source.epochView(0n);
    expect(view).toMatchObject({ epoch: 0n, pinned: true, k: K });
    expect(view!.oracles).toHaveLength(6);
    expect(hex(view!.beacon)).toBe(genesisBeacon(networkId));
    const node = await nodeView(0n);
    expect(node.nodes).toHaveLength(6);
    expect(hex(view!.beacon)).toBe(node.beacon);
    const sizes = new Set<number>();
    for (const d of devices) {
      const judges = await source.challengersOf(0n, d);
      expect(hex(judges!.beacon)).toBe(node.beacon);
      expect(judges!.challengers.map(hex)).toEqual(node.challengersOf(d));
      sizes.add(judges!.challengers.length);
    }
    // k < n: three of six watch each device; when the secp256k1 oracle is one of them, it cannot challenge.
    expect([...sizes].sort()).toEqual([2, 3]);
  });

  it("reads per epoch, shared by every device, and not again while pinned", async () => {
    let requests = 0;
    const counting = createPublicClient({
      chain: { ...foundry, id: anvil.chainId },
      transport: http(anvil.rpcUrl, { onFetchRequest: () => void requests++ }),
    }) as PublicClient;
    const opts = { client: counting, registry: chain.registry, settlement: chain.settlement, networkId };
    await createChainAssignment(opts).challengersOf(0n, devices[0]!);
    const forOne = requests;
    requests = 0;
    const fleet = createChainAssignment(opts);
    const all = await Promise.all(devices.map((d) => fleet.challengersOf(0n, d)));
    expect(all.every((j) => j !== undefined)).toBe(true);
    expect(requests).toBe(forOne);
    await Promise.all(devices.map((d) => fleet.challengersOf(0n, d)));
    expect(requests).toBe(forOne);
  });

  it("answers undefined, never throws, while the chain is unreachable, and asks again only after a pause", async () => {
    let requests = 0;
    const dead = createPublicClient({
      transport: http("http://127.0.0.1:9", { retryCount: 0, onFetchRequest: () => void requests++ }),
    }) as PublicClient;
    const source = createChainAssignment({
      client: dead,
      registry: chain.registry,
      settlement: chain.settlement,
      networkId,
      retryAfterMs: 60_000,
    });
    const asked = await Promise.all(devices.slice(0, 10).map((d) => source.challengersOf(0n, d)));
    expect(asked.every((j) => j === undefined)).toBe(true);
    expect(requests).toBe(1);
    expect(await source.challengersOf(0n, devices[0]!)).toBeUndefined();
    expect(requests).toBe(1);
  });

  it("refuses an unassigned registered oracle's challenges and answers the assigned one's (real agent)", async () => {
    const source = createChainAssignment({
      client: chain.publicClient,
      registry: chain.registry,
      settlement: chain.settlement,
      networkId,
    });
    const device = keyFromLabel("chain-agent-device");
    const judges = (await source.challengersOf(0n, device.publicKey))!;
    const isAssigned = (o: (typeof ed25519Oracles)[number]) =>
      judges.challengers.some((k) => hex(k) === hex(o.key.publicKey));
    const assigned = ed25519Oracles.find(isAssigned)!;
    const other = ed25519Oracles.find((o) => !isAssigned(o))!;
    const nodeOf = (o: (typeof ed25519Oracles)[number]) => {
      const verdicts: Verdict[] = [];
      const signed = { count: 0 };
      const gw = createChallengerGateway({
        networkId,
        signer: o.key,
        epoch: () => 0n,
        beacon: () => judges.beacon,
        schedule: { intervalMs: 50, types: ["latency", "compute"] },
        ttlMs: 2_000,
        onVerdict: (v) => verdicts.push(v),
      });
      const counted: DeviceGateway = {
        ...gw,
        commit: (b) => {
          signed.count++;
          return gw.commit(b);
        },
        respond: (b) => {
          signed.count++;
          return gw.respond(b);
        },
      };
      return { gw, counted, verdicts, signed };
    };
    const [a, b] = [nodeOf(assigned), nodeOf(other)];
    const agent = startDeviceAgent({
      signer: device,
      owner: new Uint8Array(20),
      capabilities: testCapabilities,
      gateways: [a.counted, b.counted],
      heartbeatIntervalMs: 40,
      pollWaitMs: 100,
      // The challengers only: these gateways issue every 50 ms, not in the network's rounds (the
      // round check has its own test below).
      assignment: { networkId, challengersOf: (e, d) => source.challengersOf(e, d) },
    });
    try {
      await vi.waitFor(
        () => {
          expect(a.verdicts.filter((v) => v.status === "pass").length).toBeGreaterThanOrEqual(2);
          expect(agent.stats.challengesRefused).toBeGreaterThanOrEqual(2);
        },
        { timeout: 15_000, interval: 50 },
      );
    } finally {
      await agent.stop();
      a.gw.close();
      b.gw.close();
    }
    expect(b.signed.count).toBe(0);
    expect(b.verdicts.some((v) => v.status === "pass")).toBe(false);
    expect(a.verdicts.every((v) => v.status === "pass")).toBe(true);
    expect(agent.stats.challengesUnchecked).toBe(0);
  });

  it("gives each epoch's rounds from the chain: the network's policy id and timing, the pinned beacon", async () => {
    const source = createChainAssignment({
      client: chain.publicClient,
      registry: chain.registry,
      settlement: chain.settlement,
      networkId,
    });
    const schedule = (await source.roundsOf(0n))!;
    const view = (await source.epochView(0n))!;
    const network = await getNetwork(chain.publicClient, chain.registry, networkId);
    const policy = challengePolicy(network.challengePolicyId, network.epochLength);
    expect(schedule.policy).toEqual(policy);
    expect(schedule.rounds).toEqual(
      challengeRounds(policy, view.beacon, Number(network.genesisTime) * 1000, network.epochLength * 1000),
    );
    expect(schedule.rounds.length).toBeGreaterThan(0);
  });

  it("pins each epoch's beacon before its start: a settlement moves later epochs', never a started one's", async () => {
    const account = privateKeyToAccount(ANVIL_KEY);
    const wallet = createWalletClient({
      account,
      chain: { ...foundry, id: anvil.chainId },
      transport: http(anvil.rpcUrl),
    });
    const send = async (functionName: "setWorkflow" | "onReport", args: readonly unknown[]) => {
      const hash = await wallet.writeContract({
        address: chain.settlement,
        abi: vigilSettlementAbi,
        functionName,
        args: args as never,
        gas: 5_000_000n,
      });
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      expect(receipt.status).toBe("success");
    };
    const name = "0x766967696c2d73657474" as Hex; // "vigil-sett"
    await send("setWorkflow", [1, account.address, name]);
    // Epoch 0 ends; settle it (the fixture's forwarder is the deployer itself).
    await advance(EPOCH_LENGTH);
    const resultRoot = keccak256(toHex("epoch-0-result"));
    const metadata = `0x${"00".repeat(32)}${name.slice(2)}${account.address.slice(2)}0001` as Hex;
    await send("onReport", [
      metadata,
      encodeEpochSettlementReport({
        networkId,
        epoch: 0n,
        resultRoot,
        // No observations: the contract checks the commitment is keccak256 of the (empty) list.
        observationsCommitment: keccak256("0x"),
        deviceCount: 0,
        qualifiedCount: 0,
        totalReward: 0n,
        totalSlash: 0n,
        slashes: [],
        observations: [],
      }),
    ]);
    const moved = nextBeacon(genesisBeacon(networkId), resultRoot);
    const source = createChainAssignment({
      client: chain.publicClient,
      registry: chain.registry,
      settlement: chain.settlement,
      networkId,
      provisionalTtlMs: 0,
    });
    const beaconOf = async (epoch: bigint) => {
      const v = (await source.epochView(epoch))!;
      return { beacon: hex(v.beacon), pinned: v.pinned };
    };
    // Epoch 1 had begun when the settlement landed: it keeps the beacon it started with, as the node's read does.
    expect(await beaconOf(0n)).toEqual({ beacon: genesisBeacon(networkId), pinned: true });
    expect(await beaconOf(1n)).toEqual({ beacon: genesisBeacon(networkId), pinned: true });
    expect((await nodeView(1n)).beacon).toBe(genesisBeacon(networkId));
    // Epoch 2 has not begun on chain: provisional, read at the head.
    expect(await beaconOf(2n)).toEqual({ beacon: moved, pinned: false });
    await advance(EPOCH_LENGTH);
    expect(await beaconOf(2n)).toEqual({ beacon: moved, pinned: true });
    const node = await nodeView(2n);
    expect(node.beacon).toBe(moved);
    for (const d of devices.slice(0, 5))
      expect((await source.challengersOf(2n, d))!.challengers.map(hex)).toEqual(node.challengersOf(d));
  });
});
