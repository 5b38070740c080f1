// Four oracle nodes as an operator runs them: `vigil node start -c node.toml`, each its own process,
// on a real anvil where the contracts are deployed and the operators and devices registered the way
// the devnet does it (scripts/devnet). The chaos test kills, pauses, resumes and restarts them.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Address, type Hex, toHex } from "viem";
import { keyFromLabel } from "../../attestation/testing";
import type { Deployment } from "../../contracts/index";
import { initNode } from "../../oracle-node/cli/index";
import { loadConfig } from "../../oracle-node/config/index";
import { deployVigil, workflowNameBytes10 } from "../../scripts/deploy/deploy";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { type ChainClients, DEPLOYER_KEY, devnetClients } from "../../scripts/devnet/clients";
import { type NodeKeys, prepareNodeKeys } from "../../scripts/devnet/nodeKeys";
import { type ProcessExit, ProcessSupervisor, type SupervisedProcess } from "../../scripts/devnet/processes";
import { registerDevices, registerOperators, registerSampleNetwork } from "../../scripts/devnet/register";
import { quietPort } from "./quietPort";

const VIGIL_CLI = fileURLToPath(new URL("../../scripts/vigil.ts", import.meta.url));
const STAKE = 10n ** 18n;

export interface ClusterOptions {
  /** Where node configs, keys, stores and logs go. */
  dir: string;
  nodes: number;
  epochSeconds: number;
  /** Seconds from the network's registration to its epoch 0 (the node processes start meanwhile). */
  genesisDelaySeconds: number;
  /** Registered devices: an epoch's result has a line per active device, and an empty tree has no root. */
  devices: number;
}

export interface OracleProcess {
  readonly index: number;
  readonly signer: Address;
  readonly node: OracleConfig;
  /** The process now (a restart replaces it). */
  proc: SupervisedProcess;
  /** Stopped with SIGSTOP and not yet continued. */
  paused: boolean;
}

/** Where a node's config is and how to reach it. */
export interface OracleConfig {
  index: number;
  configPath: string;
  apiUrl: string;
  /** Metrics and /admin (the admin listener). */
  adminUrl: string;
  adminToken: string;
  /** Loopback only: nothing here listens beyond this machine. */
  p2pListen: string;
}

/** A signal this test sent on purpose, so an exit it caused is told from a crash. */
export interface Fault {
  node: number;
  signal: "SIGKILL" | "SIGSTOP" | "SIGCONT";
  atMs: number;
}

export interface OracleCluster {
  anvil: Anvil;
  home: ChainClients;
  deployment: Deployment;
  networkId: bigint;
  /** Unix seconds of epoch 0's start, as registered on chain. */
  genesis: bigint;
  epochSeconds: number;
  nodes: OracleProcess[];
  /** Every exit of a node process nobody asked to stop (SIGKILLs by this test included). */
  exits: ProcessExit[];
  faults: Fault[];
  /** The epoch the chain's clock is in at `ms` (wall clock: anvil stamps blocks with it). */
  epochAt(ms?: number): bigint;
  /** Wall-clock milliseconds at which epoch `e` ends. */
  epochEndMs(e: bigint): number;
  kill(i: number): void;
  pause(i: number): void;
  resume(i: number): void;
  /** Starts node `i` again with the same config, keys and data dir. */
  restart(i: number): void;
  /** Whether node `i` answers `/health` now. */
  healthy(i: number): Promise<boolean>;
  /** Node `i`'s connected peers (0 while it does not answer). */
  peers(i: number): Promise<number>;
  /** Node `i`'s agreed result for `epoch` from its feed API (undefined: none, or not answering). */
  result(i: number, epoch: bigint): Promise<FeedResult | undefined>;
  /**
   * Equivocations node `i`'s agreement recorded from anybody since its start
   * (`vigil_agreement_equivocations_total`, all kinds); undefined while it does not answer.
   */
  equivocations(i: number): Promise<number | undefined>;
  /** Continues paused nodes, stops every process, then anvil. */
  stop(): Promise<void>;
}

/** The feed API's `EpochResult` (bigints as decimal strings). */
export interface FeedResult {
  networkId: string;
  epoch: string;
  resultRoot: Hex;
  observationsCommitment: Hex;
  deviceCount: number;
  votes: { signer: Address; signature: Hex }[];
}

export async function startOracleCluster(o: ClusterOptions): Promise<OracleCluster> {
  const logsDir = join(o.dir, "logs");
  mkdirSync(logsDir, { recursive: true });
  const exits: ProcessExit[] = [];
  // Exits are recorded, never fatal here: the test asserts afterwards that each was one it caused.
  const supervisor = new ProcessSupervisor((exit) => exits.push(exit));
  // The devnet's home chain: a block a second as well as one per transaction, so the chain's clock
  // (and the contract's timeout view) keeps up with the wall clock while nobody transacts.
  const anvil = await startAnvil({ args: ["--block-time", "1", "--mixed-mining"] });
  let cluster: OracleCluster | undefined;
  const stop = async () => {
    for (const n of cluster?.nodes ?? []) if (n.paused) n.proc.child.kill("SIGCONT");
    await supervisor.stopAll(3_000);
    await anvil.stop();
  };
  try {
    const home = devnetClients(anvil.chainId, "vigil-chaos", anvil.rpcUrl);
    const keys = await Promise.all(
      Array.from({ length: o.nodes }, (_, i) => prepareNodeKeys(i, join(o.dir, `node-${i}`, "data"))),
    );
    const deploymentFile = join(o.dir, "deployment.json");
    const owner = home.wallet.account.address;
    const deployment = await deployVigil({
      rpcUrl: anvil.rpcUrl,
      privateKey: DEPLOYER_KEY,
      signers: keys.map((k) => k.signer),
      f: Math.floor((o.nodes - 1) / 3),
      workflows: [
        { kind: 1, owner, name: workflowNameBytes10("epoch-settlement") },
        { kind: 2, owner, name: workflowNameBytes10("fraud-slashing") },
      ],
      minOperatorStake: STAKE,
      out: deploymentFile,
    });
    const targets = {
      token: deployment.token,
      registry: deployment.registry,
      settlement: deployment.settlement,
    };
    await registerOperators(home.public, home.wallet, targets, keys);
    for (const k of keys) {
      // Each node's signer transmits the DON's reports through the forwarder: it needs gas money.
      const hash = await home.wallet.sendTransaction({ to: k.signer, value: 10n * 10n ** 18n });
      await home.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    }
    const genesis = (await home.public.getBlock()).timestamp + BigInt(o.genesisDelaySeconds);
    const networkId = await registerSampleNetwork(home.public, home.wallet, targets, {
      rewardBudgetPerEpoch: STAKE,
      stakePerDevice: STAKE,
      epochLength: o.epochSeconds,
      genesisTime: genesis,
      challengePolicyId: 1,
      k: Math.min(3, o.nodes),
      fundedEpochs: 100,
    });
    await registerDevices(
      home.public,
      home.wallet,
      targets,
      networkId,
      STAKE,
      Array.from({ length: o.devices }, (_, i) => ({
        deviceId: toHex(keyFromLabel(`chaos-device-${i}`).publicKey),
        owner,
      })),
    );

    const configured = await configureOracles(keys, {
      dir: o.dir,
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      deploymentFile,
      networkId,
    });
    // `vigil node start`, nothing else: the operator's defaults (agreement timeouts, settle schedule,
    // transmit delay). Only the p2p listener is held to loopback, as the devnet does.
    const spawnNode = (n: OracleConfig) =>
      supervisor.spawnTs(
        `oracle node ${n.index}`,
        VIGIL_CLI,
        ["node", "start", "--config", n.configPath],
        join(logsDir, `node-${n.index}.log`),
        { env: { VIGIL_P2P_LISTEN: n.p2pListen, NODE_NO_WARNINGS: "1" } },
      );
    const nodes: OracleProcess[] = configured.map((n) => ({
      index: n.index,
      signer: keys[n.index]!.signer,
      node: n,
      proc: spawnNode(n),
      paused: false,
    }));
    const faults: Fault[] = [];
    const signal = (i: number, s: Fault["signal"]) => {
      faults.push({ node: i, signal: s, atMs: Date.now() });
      nodes[i]!.proc.child.kill(s);
    };
    const get = async (i: number, path: string, admin = false) => {
      const n = nodes[i]!.node;
      try {
        return await fetch(`${admin ? n.adminUrl : n.apiUrl}${path}`, {
          headers: admin ? { authorization: `Bearer ${n.adminToken}` } : {},
          signal: AbortSignal.timeout(2_000),
        });
      } catch {
        return undefined; // down, paused or starting: not answering
      }
    };
    const length = BigInt(o.epochSeconds);
    cluster = {
      anvil,
      home,
      deployment,
      networkId,
      genesis,
      epochSeconds: o.epochSeconds,
      nodes,
      exits,
      faults,
      epochAt: (ms = Date.now()) => {
        const s = BigInt(Math.floor(ms / 1000));
        return s < genesis ? 0n : (s - genesis) / length;
      },
      epochEndMs: (e) => Number((genesis + (e + 1n) * length) * 1000n),
      kill: (i) => signal(i, "SIGKILL"),
      pause: (i) => {
        signal(i, "SIGSTOP");
        nodes[i]!.paused = true;
      },
      resume: (i) => {
        signal(i, "SIGCONT");
        nodes[i]!.paused = false;
      },
      restart: (i) => {
        const n = nodes[i]!;
        if (n.proc.alive()) throw new Error(`node ${i} is still running`);
        n.proc = spawnNode(n.node);
      },
      healthy: async (i) => (await get(i, "/health"))?.ok ?? false,
      peers: async (i) => {
        const res = await get(i, "/admin/peers", true);
        return res?.ok ? ((await res.json()) as unknown[]).length : 0;
      },
      result: async (i, epoch) => {
        const res = await get(i, `/v1/networks/${networkId}/epochs/${epoch}`);
        return res?.ok ? ((await res.json()) as FeedResult) : undefined;
      },
      equivocations: async (i) => {
        const res = await get(i, "/metrics", true);
        if (!res?.ok) return undefined;
        return (await res.text())
          .split("\n")
          .filter((l) => l.startsWith("vigil_agreement_equivocations_total"))
          .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
      },
      stop,
    };
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Writes each node's config with `vigil node init`'s own code, as the devnet's `configureNodes` does
 * (every node bootstrapping from all the others), but on ports below the ephemeral range
 * (`quietPort`): a node restarted after kill -9 must find its ports still free.
 */
async function configureOracles(
  keys: readonly NodeKeys[],
  o: { dir: string; rpcUrl: string; chainId: number; deploymentFile: string; networkId: bigint },
): Promise<OracleConfig[]> {
  const ports: { api: number; admin: number; p2p: number }[] = [];
  for (const _ of keys)
    ports.push({ api: await quietPort(), admin: await quietPort(), p2p: await quietPort() });
  const addr = (i: number) => `/ip4/127.0.0.1/tcp/${ports[i]!.p2p}/p2p/${keys[i]!.peerId}`;
  const out: OracleConfig[] = [];
  for (const [i, k] of keys.entries()) {
    const result = await initNode({
      dir: join(o.dir, `node-${i}`),
      dataDir: k.dataDir,
      networks: [o.networkId],
      apiPort: ports[i]!.api,
      apiHost: "127.0.0.1",
      adminPort: ports[i]!.admin,
      p2pPort: ports[i]!.p2p,
      bootstrap: keys.flatMap((_, j) => (j === i ? [] : [addr(j)])),
      rpcUrls: [o.rpcUrl],
      chainId: o.chainId,
      deploymentFile: o.deploymentFile,
      force: true,
    });
    out.push({
      index: i,
      configPath: result.configPath,
      apiUrl: `http://127.0.0.1:${ports[i]!.api}`,
      adminUrl: `http://127.0.0.1:${ports[i]!.admin}`,
      adminToken: loadConfig({ path: result.configPath, env: {} }).api.adminToken,
      p2pListen: `/ip4/127.0.0.1/tcp/${ports[i]!.p2p}`,
    });
  }
  return out;
}
