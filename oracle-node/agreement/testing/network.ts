// Test and benchmark harness: real libp2p nodes on loopback, real SQLite stores, real agreement.
// Not part of the node; tests, the kill -9 child and the `agreement` benchmark share it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GossipSub } from "@libp2p/gossipsub";
import { pino } from "pino";
import { Registry } from "prom-client";
import { type Address, type Hex, keccak256, type LocalAccount, numberToHex, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { assignNetwork } from "../../assignment/index";
import { createP2P, type P2P, PeerAllowList } from "../../p2p/index";
import { Store } from "../../store/index";
import { createAgreement } from "../createAgreement";
import type { Agreement, AgreementModules } from "../interface";
import type { AgreementOptions } from "../options";
import type { DeviceInfo, EpochContext, FraudEvidenceVerifier, ObservationSet } from "../types";

export const silent = pino({ level: process.env.VIGIL_TEST_LOG ?? "silent" });

export const testAccount = (i: number): LocalAccount =>
  privateKeyToAccount(keccak256(toHex(`vigil-test-oracle-${i}`)));

/** The network every test context is for (unless it names another). */
export const TEST_NETWORK_ID = 7n;

export const fastAgreement: Partial<AgreementOptions> = {
  networks: [TEST_NETWORK_ID],
  proposeTimeoutMs: 3_000,
  stepTimeoutMs: 1_000,
  timeoutDeltaMs: 1_000,
  observationGraceMs: 300,
  rebroadcastMs: 500,
};

export const p2pTestOptions = {
  listen: ["/ip4/127.0.0.1/tcp/0"],
  mdns: false,
  namespace: "agreement-test",
  heartbeatIntervalMs: 100,
};

/** Deterministic "true" behaviour of device i, which honest observers report. */
export function truth(i: number): { uptimeBps: number; work: bigint } {
  return { uptimeBps: 5_000 + ((i * 37) % 5_001), work: BigInt(100 + ((i * 13) % 900)) };
}

export function makeDevices(count: number): DeviceInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    deviceId: numberToHex(BigInt(i) + 1n, { size: 32 }),
    owner: numberToHex(0xa000n + BigInt(i % 50), { size: 20 }) as Address,
    stake: 1_000n,
  }));
}

export function makeContext(
  params: { networkId?: bigint; epoch?: bigint; k: number; devices: DeviceInfo[] },
  oracles: { signer: Address; peerId: string }[],
): EpochContext {
  const beacon = keccak256(toHex(`beacon-${params.epoch ?? 1n}`));
  const assignment = assignNetwork({
    beacon,
    deviceIds: params.devices.map((d) => d.deviceId),
    nodes: oracles.map((o) => o.signer),
    k: params.k,
  });
  return {
    networkId: params.networkId ?? TEST_NETWORK_ID,
    epoch: params.epoch ?? 1n,
    chainId: 31337,
    settlement: "0x00000000000000000000000000000000000051e7",
    budget: 1_000_000_000_000_000_000n,
    k: params.k,
    oracles,
    devices: params.devices,
    beacon,
    assignment,
  };
}

/** Honest observation of `signer`: the truth for each device it is assigned to. `lie` distorts it. */
export function observe(ctx: EpochContext, signer: Address, lie = false): ObservationSet {
  const me = signer.toLowerCase();
  const devices = ctx.devices
    .map((d, i) => ({ d, i }))
    .filter(({ d }) => ctx.assignment.get(d.deviceId)?.some((a) => a.toLowerCase() === me))
    .map(({ d, i }) => {
      const t = truth(i);
      return lie
        ? { deviceId: d.deviceId, uptimeBps: 10_000, work: 1_000_000n }
        : { deviceId: d.deviceId, uptimeBps: t.uptimeBps, work: t.work };
    })
    .sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
  return { networkId: ctx.networkId, epoch: ctx.epoch, observer: signer, devices };
}

/** Accepts evidence bytes that start with "fraud" (stands in for the attestation library's verifier). */
export const testVerifier: FraudEvidenceVerifier = (_ctx, _id, verdict) =>
  new TextDecoder().decode(verdict.evidence.subarray(0, 5)) === "fraud";

/**
 * What a node reads from the chain and its clock, for tests: `oracles()` are the registered
 * (signer, peer id) pairs, `epoch()` the epoch the clock is in (default 1, the test contexts' epoch).
 */
export function testChainView(
  oracles: () => readonly { signer: Address; peerId: string }[],
  epoch: () => bigint = () => 1n,
): Pick<AgreementModules, "currentEpoch" | "signerOf"> {
  return {
    currentEpoch: () => epoch(),
    signerOf: (peerId) => oracles().find((o) => o.peerId === peerId)?.signer,
  };
}

export interface TestNode {
  index: number;
  account: LocalAccount;
  p2p: P2P;
  store: Store;
  agreement: Agreement;
  dataDir: string;
  metrics?: Registry;
}

export interface TestNetwork {
  nodes: TestNode[];
  allow: PeerAllowList;
  oracles: { signer: Address; peerId: string }[];
  /** The nodes' clock: the epoch they are in (set it to move time on). */
  clock: { epoch: bigint };
  root: string;
  stop(): Promise<void>;
}

export async function waitFor(cond: () => boolean, ms = 15_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const pubsubOf = (p: P2P) =>
  (p.libp2p as unknown as { services: { pubsub: GossipSub } }).services.pubsub;

/** Dials `address`, retrying a few times (a peer that just started may not accept yet). */
export async function dialWithRetry(p2p: P2P, address: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await p2p.dial(address);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
  }
}

/** Dials b from a; loopback dials occasionally race a connection being set up the other way: retry. */
export async function connect(a: P2P, b: P2P): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (a.peers().some((p) => p.peerId === b.peerId)) return;
    try {
      await a.dial(b.addresses()[0]!);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  }
}

/** Starts n oracle nodes, fully meshed on loopback; `external` extra oracle identities (other processes). */
export async function startTestNetwork(params: {
  n: number;
  agreement?: Partial<AgreementOptions>;
  external?: { signer: Address; peerId: string }[];
  /** Passes each node's agreement a metrics registry (its own). */
  metrics?: boolean;
}): Promise<TestNetwork> {
  const root = mkdtempSync(join(tmpdir(), "vigil-agreement-"));
  const allow = new PeerAllowList();
  const nodes: TestNode[] = [];
  const clock = { epoch: 1n };
  const oracles: { signer: Address; peerId: string }[] = [];
  const chain = testChainView(
    () => oracles,
    () => clock.epoch,
  );
  for (let i = 0; i < params.n; i++) {
    const dataDir = join(root, `node${i}`);
    const p2p = await createP2P(p2pTestOptions, { logger: silent, allowList: allow });
    const store = Store.open({ dataDir });
    const account = testAccount(i);
    const metrics = params.metrics ? new Registry() : undefined;
    const agreement = createAgreement(
      { ...fastAgreement, ...params.agreement },
      { p2p, store, logger: silent, account, verifyFraud: testVerifier, metrics, ...chain },
    );
    nodes.push({ index: i, account, p2p, store, agreement, dataDir, metrics });
  }
  oracles.push(
    ...nodes.map((nd) => ({ signer: nd.account.address, peerId: nd.p2p.peerId })),
    ...(params.external ?? []),
  );
  allow.set(oracles.map((o) => o.peerId));
  for (let i = 0; i < nodes.length; i++)
    for (let j = i + 1; j < nodes.length; j++) await connect(nodes[i]!.p2p, nodes[j]!.p2p);
  const topic = nodes[0]!.p2p.topic("agreement");
  await waitFor(
    () => nodes.every((nd) => pubsubOf(nd.p2p).getSubscribers(topic).length >= nodes.length - 1),
    15_000,
    "gossip subscriptions",
  );
  return {
    nodes,
    allow,
    oracles,
    clock,
    root,
    async stop() {
      for (const nd of [...nodes].reverse()) {
        await nd.agreement.stop();
        await nd.p2p.stop();
        nd.store.close();
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export type { Hex };
