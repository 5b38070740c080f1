import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  type Address,
  createTestClient,
  type Hex,
  http,
  keccak256,
  parseEther,
  parseGwei,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { planFleet, writeFleetReplicas } from "../../attestation/agent/index";
import type { Deployment } from "../../contracts";
import { buildContracts } from "../contracts/buildContracts";
import { contractsBuildNeeded, VIGIL_FORGE_LAYOUT } from "../contracts/contractsBuildNeeded";
import { deployVigil, workflowNameBytes10 } from "../deploy/deploy";
import { type DevnetChains, startChains } from "./chains";
import { DEPLOYER_KEY, devnetClients } from "./clients";
import { type Dashboard, type EvidenceLookup, startDashboard } from "./dashboard/server";
import { DevnetError } from "./errors";
import { type DevnetEvent, EventLog } from "./events";
import { nodeEvidenceLookup } from "./evidence";
import { startFleetProcess } from "./fleet";
import { ALL_STRATEGIES, DEFENDED_STRATEGIES, planStrategies } from "./fleetPlan";
import { handOverToGovernance } from "./governance/handOverToGovernance";
import { reporterRewardProposal } from "./governance/reporterRewardProposal";
import { runGovernanceDemo } from "./governance/runGovernanceDemo";
import { summarizeGovernance } from "./governance/summarizeGovernance";
import { startDevnetLane } from "./lane";
import { type NodeKeys, prepareNodeKeys } from "./nodeKeys";
import {
  configureNodes,
  type DevnetNode,
  ORACLE_NODES,
  startNodeProcesses,
  waitForNodes,
  watchNodes,
} from "./nodes";
import {
  type DevnetOptions,
  type DevnetOptionsInput,
  devnetOptionsSchema,
  faultTolerance,
  STARTUP_STALL_SECONDS,
} from "./options";
import { ProcessSupervisor } from "./processes";
import {
  deviceOwnerKey,
  registerDevices,
  registerOperators,
  registerSampleNetwork,
  setStorageTargets,
} from "./register";
import { runEpochs } from "./runEpochs";
import { type DevnetSummary, summarize } from "./summary";
import { watchVerdicts } from "./verdicts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Sample DePIN network: 1,000 VGL per epoch shared by the fleet, 10 VGL stake per device. */
export const SAMPLE_BUDGET = parseEther("1000");
export const SAMPLE_STAKE = parseEther("10");
/**
 * The devnet's economics (docs/contracts.md, "Economics"): 1 VGL per verified device-epoch, 20%
 * burned, 50% to the oracle operators (the transmitter's gas first, at 1,000 VGL per ETH and at most
 * 10 gwei), 30% to the treasury; the emission halves every 20 epochs, so a long run shows the curve.
 */
export const SAMPLE_FEE = { feePerDeviceEpoch: parseEther("1"), burnBps: 2_000, operatorBps: 5_000 };
export const SAMPLE_GAS_REIMBURSEMENT = { vglPerEth: parseEther("1000"), maxGasPriceWei: parseGwei("10") };
export const SAMPLE_HALVING_EPOCHS = 20;
/**
 * The sample network's uptime SLA (docs/interfaces.md, "Uptime SLA"). 99.9% as in production, over a
 * window of 2 epochs (this epoch and the one settled before it) instead of 30 days' worth, so a run of
 * three epochs shows devices earning the bonus. A 4% bonus pool: an honest device that missed it (one
 * heartbeat lost in a warm-up epoch) stays within the 5% band its verdict target allows. The penalty
 * (half the base reward below a 50% mean) hits devices that are away half the time, not one glitch.
 */
export const SAMPLE_UPTIME_SLA = {
  windowEpochs: 2,
  bonusThresholdBps: 9_990,
  bonusBps: 400,
  penaltyThresholdBps: 5_000,
  penaltyBps: 5_000,
};
/** The fleet's seed: its keys, and its storage client's secret (`fleetStorageSecret`). */
const FLEET_SEED = "vigil-devnet";

export interface DevnetHandle {
  options: DevnetOptions;
  log: EventLog;
  chains: DevnetChains;
  dashboardUrl: string;
  deployment?: Deployment;
  networkId?: bigint;
  nodes: DevnetNode[];
  /** Unix seconds at which the nodes' epoch 0 begins (epochs last `options.epochSeconds`). */
  genesisTime: number;
  /** Settles when the requested epochs ran (or the devnet failed); never for an open-ended run. */
  done: Promise<DevnetSummary>;
  /** Stops everything in reverse start order; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The devnet's composition root: brings up each stage in order (contract build, chains, dashboard,
 * contracts, network and devices, oracle nodes, device fleet), then runs epochs. A stage that fails
 * stops the devnet with its reason; nothing is faked. Up to f oracle nodes may die on the way: the
 * devnet logs each and goes on; one more, or the fleet, stops it.
 */
export async function startDevnet(
  input: DevnetOptionsInput,
  hooks: { onEvent?: (event: DevnetEvent) => void } = {},
): Promise<DevnetHandle> {
  const parsed = devnetOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new DevnetError(
      "INVALID_OPTIONS",
      parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`).join("; "),
    );
  }
  const options = parsed.data;
  const dataDir = resolve(options.dataDir);
  const eventsFile = join(dataDir, "events.jsonl");
  if (options.resume) {
    if (!existsSync(eventsFile)) {
      throw new DevnetError(
        "RESUME_WITHOUT_STATE",
        `--resume: no devnet state in ${dataDir}; start with --fresh`,
        {
          dataDir,
        },
      );
    }
    // Resuming re-runs every stage against the restored chains; the event history stays.
  } else {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const logsDir = join(dataDir, "logs");
  mkdirSync(logsDir, { recursive: true });
  const log = new EventLog(eventsFile);
  // Subscribed before any stage runs, so the terminal shows progress while the devnet comes up.
  if (hooks.onEvent) log.subscribe(hooks.onEvent);

  const closers: Array<() => Promise<void>> = [];
  let stopped = false;
  const abort = new AbortController();
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    abort.abort();
    for (const close of closers.reverse()) {
      await close().catch(() => {});
    }
  };
  let fail: (error: DevnetError) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const f = faultTolerance(options.nodes);
  const supervisor = new ProcessSupervisor(
    (exit) => {
      if (exit.fatal) {
        log.emit({ type: "log", level: "error", message: exit.error.message });
        fail(exit.error);
        return;
      }
      // n = 3f + 1 nodes still agree and settle with f of them down.
      log.emit({
        type: "log",
        level: "warn",
        message: `${exit.error.message} (${exit.down} of f=${exit.allowed} allowed down; the devnet goes on)`,
      });
    },
    { [ORACLE_NODES]: f },
  );
  const startup = {
    timeoutMs: options.startupTimeout * 1000,
    stallMs: Math.min(STARTUP_STALL_SECONDS, options.startupTimeout) * 1000,
    signal: abort.signal,
  };

  const stage = async <T>(name: string, detail: string, run: () => Promise<T>): Promise<T> => {
    log.emit({ type: "stage", stage: name, status: "starting", detail });
    try {
      const value = await run();
      log.emit({ type: "stage", stage: name, status: "ready", detail });
      return value;
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      log.emit({ type: "stage", stage: name, status: "failed", detail: message });
      throw new DevnetError("STAGE_FAILED", `${name}: ${message}`, { stage: name }, { cause });
    }
  };

  try {
    const layout = { root: REPO_ROOT, ...VIGIL_FORGE_LAYOUT };
    const buildReason = contractsBuildNeeded(layout);
    if (buildReason === undefined) {
      log.emit({
        type: "stage",
        stage: "build-contracts",
        status: "ready",
        detail: "forge artifacts up to date",
      });
    } else {
      await stage("build-contracts", `forge build (first run takes ~1 min): ${buildReason}`, () =>
        buildContracts(REPO_ROOT, join(logsDir, "forge-build.log")),
      );
    }

    const chains = await stage("chains", "two anvil chains (home + remote)", () =>
      startChains(dataDir, options.resume),
    );
    closers.push(() => chains.remote.stop());
    closers.push(() => chains.home.stop());
    log.emit({ type: "chain", name: "home", chainId: chains.home.chainId, rpcUrl: chains.home.rpcUrl });
    log.emit({ type: "chain", name: "remote", chainId: chains.remote.chainId, rpcUrl: chains.remote.rpcUrl });

    let evidenceLookup: EvidenceLookup | undefined;
    const dashboard: Dashboard = await stage("dashboard", "live dashboard (SSE)", () =>
      // Evidence comes from the nodes, known only once they run.
      startDashboard(
        { log, evidence: (hash) => evidenceLookup?.(hash) ?? Promise.resolve(undefined) },
        options.port,
      ),
    );
    closers.push(() => dashboard.close());

    const home = devnetClients(chains.home.chainId, "vigil-home", chains.home.rpcUrl);
    const nodesDir = join(dataDir, "nodes");

    const keys: NodeKeys[] = await stage("node-keys", `${options.nodes} oracle identities (f = ${f})`, () =>
      Promise.all(
        Array.from({ length: options.nodes }, (_, i) =>
          prepareNodeKeys(i, join(nodesDir, `node-${i}`, "data")),
        ),
      ),
    );

    const deploymentFile = join(dataDir, "deployment.home.json");
    const deployment = await stage(
      "contracts",
      "deployVigil: token, forwarder, registry, settlement, consumer",
      () =>
        deployVigil({
          rpcUrl: chains.home.rpcUrl,
          privateKey: DEPLOYER_KEY,
          signers: keys.map((k) => k.signer),
          f,
          workflows: [
            { kind: 1, owner: home.wallet.account.address, name: workflowNameBytes10("epoch-settlement") },
            { kind: 2, owner: home.wallet.account.address, name: workflowNameBytes10("fraud-slashing") },
          ],
          // One hour of unbonding: long enough to matter, short enough to try exits on a devnet.
          unbondingDelay: 3600n,
          fees: SAMPLE_FEE,
          gasReimbursement: SAMPLE_GAS_REIMBURSEMENT,
          // As much again for the deployer's votes: it proposes and passes the governance demo alone.
          mint: [{ to: home.wallet.account.address, amount: 2n * tokensNeeded(options) }],
          out: deploymentFile,
        }),
    );
    log.emit({ type: "deployment", chain: "home", addresses: deploymentAddresses(deployment) });

    const targets = {
      token: deployment.token,
      registry: deployment.registry,
      settlement: deployment.settlement,
    } as {
      token: Address;
      registry: Address;
      settlement: Address;
    };
    let genesis = 0;
    const networkId = await stage("network", "sample DePIN network and its oracle operators", async () => {
      await registerOperators(home.public, home.wallet, targets, keys);
      // Node signers transmit CRE reports through the forwarder themselves: they need gas money.
      const funding: `0x${string}`[] = [];
      for (const k of keys)
        funding.push(await home.wallet.sendTransaction({ to: k.signer, value: parseEther("100") }));
      await Promise.all(funding.map((hash) => home.public.waitForTransactionReceipt({ hash })));
      // Epoch 0 begins once nodes and fleet run (nodes close epochs from the one current when they
      // start, and the contract settles epochs in order from 0), and the chain holds that genesis:
      // devices, the fraud-slashing workflow and the contract number epochs from the registry, so the
      // nodes must too (no node-side override). Starting K node processes (tsx + libp2p) took 28-40 s
      // for K = 4 on 2 busy cores, hence 12 s a node, plus the device and bridge-lane stages before.
      const startupSeconds = Math.max(30, 12 * options.nodes) + 45;
      genesis = readOrWriteGenesis(
        join(dataDir, "epoch-genesis"),
        Math.floor(Date.now() / 1000) + startupSeconds,
      );
      return registerSampleNetwork(home.public, home.wallet, targets, {
        rewardBudgetPerEpoch: SAMPLE_BUDGET,
        stakePerDevice: SAMPLE_STAKE,
        epochLength: options.epochSeconds,
        genesisTime: BigInt(genesis),
        challengePolicyId: 1,
        k: Math.min(3, options.nodes),
        // Epochs 0..N settle; one more epoch's budget stays deposited: the fee takes only what the budget
        // holds beyond the next epoch's largest reward.
        fundedEpochs: (options.epochs ?? 1_000) + 2,
        feeReservePerEpoch: SAMPLE_FEE.feePerDeviceEpoch * BigInt(options.devices),
        emissionHalvingEpochs: SAMPLE_HALVING_EPOCHS,
        uptimeSla: SAMPLE_UPTIME_SLA,
      });
    });

    const ownerSeed = keccak256(toHex(`vigil-devnet-owners-${deployment.settlement}`));
    const fleetPlan = planFleet({
      strategies: planStrategies(
        options.devices,
        options.strategies === "all" ? ALL_STRATEGIES : DEFENDED_STRATEGIES,
      ),
      seed: FLEET_SEED,
      owner: (i) => hexToBytes20(privateKeyToAccount(deviceOwnerKey(ownerSeed, i)).address),
    });
    const replicaDir = join(dataDir, "replicas");
    await stage("devices", `${options.devices} devices registered (Sybils stay unregistered)`, async () => {
      const registered = fleetPlan.filter((d) => d.registered);
      // Only a line's owner may claim it (at home or claim-and-bridge): every owner sends its own
      // claims, so give each gas money.
      const funding = await Promise.all(
        registered.map((d) => home.wallet.sendTransaction({ to: d.ownerHex, value: parseEther("1") })),
      );
      await Promise.all(funding.map((hash) => home.public.waitForTransactionReceipt({ hash })));
      await registerDevices(
        home.public,
        home.wallet,
        targets,
        networkId,
        SAMPLE_STAKE,
        // A squatted device's key is registered under the squatter's address (`chainOwnerHex`).
        registered.map((d) => ({ deviceId: d.deviceIdHex, owner: d.chainOwnerHex })),
      );
      // The devnet is the network's storage client: it writes each device's replica (the fleet
      // process hands each agent its file) and registers the replica's root on chain, as the
      // network's owner. The nodes judge storage against that, never against the device.
      mkdirSync(replicaDir, { recursive: true });
      writeFleetReplicas(fleetPlan, replicaDir, FLEET_SEED);
      await setStorageTargets(
        home.public,
        home.wallet,
        targets,
        networkId,
        registered.map((d) => ({
          deviceId: d.deviceIdHex,
          root: toHex(d.storage.storageRoot),
          chunks: d.storage.storageChunks,
          chunkBytes: d.storage.storageChunkBytes,
        })),
      );
      for (const d of fleetPlan) {
        log.emit({
          type: "device",
          deviceId: d.deviceIdHex,
          owner: d.ownerHex,
          strategy: d.strategy,
          honest: d.strategy === "honest",
        });
      }
    });

    const remote = devnetClients(chains.remote.chainId, "vigil-remote", chains.remote.rpcUrl);
    const lane = await stage(
      "bridge-lane",
      "CCIP lane home → remote: BurnMint pools, relayer, claim hook",
      async () => {
        const started = await startDevnetLane({
          home,
          remote,
          homeRpcUrl: chains.home.rpcUrl,
          remoteRpcUrl: chains.remote.rpcUrl,
          token: targets.token,
          settlement: targets.settlement,
          dataDir,
        });
        return started;
      },
    );
    closers.push(() => lane.relayer.stop());
    log.emit({
      type: "deployment",
      chain: "remote",
      addresses: { token: lane.remoteToken, router: lane.config.chains[1].router, hook: lane.hook },
    });

    // Everything the devnet does as an owner (DON config, workflows, mints, the token's CCIP setup) is done:
    // the timelock takes every owner role, and from here a change is a proposal (docs/devnet.md).
    const governed: Deployment = await stage(
      "governance",
      "timelock + governor take registry, settlement, forwarder, VGL admin, CCIP admin, pool, claim hook",
      async () => {
        const withGovernance = await handOverToGovernance(home, deployment, lane);
        writeFileSync(deploymentFile, `${JSON.stringify(withGovernance, null, 2)}\n`);
        return withGovernance;
      },
    );
    log.emit({ type: "deployment", chain: "home", addresses: deploymentAddresses(governed) });

    const nodesGenesis = genesis;
    const nodes = await stage("oracle-nodes", `${options.nodes} \`vigil node start\` processes`, async () => {
      const configured = await configureNodes({
        keys,
        nodesDir,
        rpcUrl: chains.home.rpcUrl,
        chainId: chains.home.chainId,
        deploymentFile,
        networkId,
      });
      // Registered here, so on stop the nodes go before the chains they watch.
      closers.push(() => supervisor.stopAll());
      const procs = startNodeProcesses(configured, supervisor, logsDir);
      // The f nodes that may die are kept in the list: clients skip an unreachable node, the
      // dashboard shows it down.
      await Promise.race([waitForNodes(configured, procs, startup), failed]);
      return configured;
    });
    evidenceLookup = nodeEvidenceLookup(nodes, networkId);
    closers.push(async () => unwatchNodes());
    const unwatchNodes = watchNodes(nodes, log);
    // Provisional verdicts as node 0 publishes them, for the dashboard (signatures checked).
    const unwatchVerdicts = watchVerdicts(
      {
        node: nodes[0]!,
        networkId,
        chainId: chains.home.chainId,
        settlement: deployment.settlement,
        signers: nodes.map((n) => n.keys.signer),
      },
      log,
    );
    closers.push(async () => unwatchVerdicts());

    const gatewayPath = "/device";
    const gatewayServed = await servesGateway(nodes, gatewayPath);
    if (gatewayServed) {
      await stage("device-fleet", `${options.devices} device agents`, () =>
        // Stopped with the nodes by the supervisor (started last, so stopped first).
        Promise.race([
          startFleetProcess(
            supervisor,
            {
              strategies: fleetPlan.map((d) => d.strategy),
              seed: FLEET_SEED,
              replicaDir,
              owners: fleetPlan.map((d) => d.ownerHex),
              gateways: nodes.map((n) => `${n.gatewayUrl}${gatewayPath}`),
              chain: {
                rpcUrl: chains.home.rpcUrl,
                registry: targets.registry,
                settlement: targets.settlement,
                networkId: String(networkId),
              },
              // Node 0 plays the byzantine oracle (one of the f tolerated) framing honest devices.
              framer: {
                peerKeyFile: join(keys[0]!.dataDir, "peer.key"),
                fraudSlash: nodes.map((n) => ({
                  url: `${n.adminUrl}/admin/networks/${networkId}/fraud-slash`,
                  token: n.adminToken,
                })),
              },
            },
            { dataDir, logsDir },
            startup,
          ),
          failed,
        ]),
      );
    } else {
      log.emit({
        type: "stage",
        stage: "device-fleet",
        status: "skipped",
        detail: `oracle nodes do not serve the device gateway (${gatewayPath}/v1/info) yet`,
      });
    }

    // Devices register and heartbeat within a few seconds of the fleet's start; an epoch that began
    // before then cannot pay them in full and is a warm-up epoch (settled and checked, not scored).
    const scoredFrom = Math.ceil(Date.now() / 1000) + FLEET_SETTLE_SECONDS;
    // While the epochs settle, one proposal runs end to end (about 15 s: a few blocks and the timelock
    // delay); a failed step or a parameter that did not change fails the run. It starts with epoch 0, a
    // warm-up epoch (settled and checked, not scored), so its load never weighs on a scored epoch.
    const governanceDemo = sleep(Math.max(0, nodesGenesis * 1000 - Date.now()), undefined, {
      signal: abort.signal,
    }).then(() =>
      runGovernanceDemo({
        log,
        clients: {
          public: home.public,
          wallet: home.wallet,
          test: createTestClient({ mode: "anvil", transport: http(chains.home.rpcUrl) }),
        },
        governor: governed.governor as Address,
        proposal: reporterRewardProposal(governed.settlement, DEMO_REPORTER_REWARD_BPS),
        signal: abort.signal,
      }),
    );
    const done: Promise<DevnetSummary> = Promise.race([
      failed,
      Promise.all([
        runEpochs({
          scoredFrom,
          options,
          log,
          home,
          deployment: governed,
          networkId,
          fleet: fleetPlan,
          nodes,
          f,
          signal: abort.signal,
          lane,
          remote,
          ownerKey: (i) => deviceOwnerKey(ownerSeed, i),
          genesisTime: nodesGenesis,
        }),
        governanceDemo,
      ]).then(([summary]) => ({ ...summary, governance: summarizeGovernance(log.all()) })),
    ]).catch((error: unknown) => {
      const summary = summarize(log.all(), null);
      return { ...summary, ok: false, reason: error instanceof Error ? error.message : String(error) };
    });

    return {
      options,
      log,
      chains,
      dashboardUrl: dashboard.url,
      deployment: governed,
      networkId,
      nodes,
      genesisTime: nodesGenesis,
      done,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Whether the nodes serve the device gateway: asks each in turn, as one of them may be down. */
async function servesGateway(nodes: readonly DevnetNode[], path: string): Promise<boolean> {
  for (const n of nodes) {
    try {
      const res = await fetch(`${n.gatewayUrl}${path}/v1/info`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return true;
    } catch {
      // Down or too busy: ask the next node.
    }
  }
  return false;
}

/** The governance demo's new equivocation reporter share (the devnet deploys with the default 50%). */
const DEMO_REPORTER_REWARD_BPS = 4_000;

/** Seconds from the fleet's start until every device has registered and sent its first heartbeats. */
const FLEET_SETTLE_SECONDS = 5;

/** Reward tokens the deployer needs: operator stakes, device stakes and the funded epochs' budget. */
function tokensNeeded(o: DevnetOptions): bigint {
  return (
    parseEther("100") * BigInt(o.nodes) +
    SAMPLE_STAKE * BigInt(o.devices) +
    (SAMPLE_BUDGET + SAMPLE_FEE.feePerDeviceEpoch * BigInt(o.devices)) * BigInt((o.epochs ?? 1_000) + 2)
  );
}

/** The network's epoch genesis, kept in the data dir so a resumed devnet numbers epochs the same way. */
function readOrWriteGenesis(file: string, fresh: number): number {
  if (existsSync(file)) return Number(readFileSync(file, "utf8"));
  writeFileSync(file, String(fresh));
  return fresh;
}

function deploymentAddresses(d: Deployment): Record<string, string> {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, String(v)]));
}

function hexToBytes20(address: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(address.slice(2), "hex"));
}
