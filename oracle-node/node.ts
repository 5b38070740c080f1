// The composition root: builds every module of an oracle node from its config, in dependency order,
// and closes them in reverse. Modules get `(options, modules)`; nothing else wires them together.
import { mkdirSync } from "node:fs";
import type { Hono } from "hono";
import type { DestinationStream } from "pino";
import type { Address, Hex } from "viem";
import { type ApiServer, type AssignmentView, createApiApp, type NodeStatus, serveApi } from "./api/index";
import { assignNetwork } from "./assignment/index";
import {
  ChainError,
  createChainClient,
  epochAt,
  getNetwork,
  getNetworkDevices,
  getOperators,
  getSettlementState,
  loadSignerKey,
  type NetworkInfo,
  type OperatorInfo,
  watchSettlements,
} from "./chain/index";
import type { NodeConfig } from "./config/index";
import { createFeedApp, createMemoryFeedSource } from "./feed/index";
import { createLogger, type Logger } from "./logger";
import { createNodeMetrics, type NodeMetrics } from "./metrics";
import { createP2P, type P2P, PeerAllowList } from "./p2p/index";
import { Store } from "./store/index";

export const NODE_VERSION = "0.1.0";

export interface StartNodeOptions {
  /** Where log lines go (default stdout). */
  logDestination?: DestinationStream;
  /** Process-wide default metrics; off when several nodes share a process (tests). */
  defaultMetrics?: boolean;
  /** Chain polling interval; tests on anvil use ~50 ms. */
  pollingIntervalMs?: number;
  /** How often the operator allow-list and network info are re-read from the registry. */
  registryRefreshMs?: number;
  /** Gossipsub heartbeat (tests use ~100 ms so meshes form fast). */
  heartbeatIntervalMs?: number;
  /** Enables devnet-only admin actions (forcing an epoch close). */
  devnet?: boolean;
  /** Extra sub-apps mounted on the API (e.g. the device gateway until intake mounts it itself). */
  mounts?: { path: string; app: Hono }[];
}

export interface VigilNode {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly signer: Address;
  readonly peerId: string;
  readonly p2p: P2P;
  readonly store: Store;
  readonly api: ApiServer;
  /** Network parameters as last read from the registry. */
  networks(): NetworkInfo[];
  /** Registered operators as last read from the registry. */
  operators(): OperatorInfo[];
  /** Re-reads operators and networks from the chain now (normally on a timer). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** Builds and starts an oracle node. On failure, whatever was already started is closed again. */
export async function startNode(config: NodeConfig, options: StartNodeOptions = {}): Promise<VigilNode> {
  const logger = createLogger({ level: config.logLevel, destination: options.logDestination });
  const log = logger.child({ module: "node" });
  const closers: { name: string; close: () => unknown }[] = [];
  const startedAt = Date.now();
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const metrics = createNodeMetrics({ defaultMetrics: options.defaultMetrics });
    const account = loadSignerKey(config.chain.signerKeyFile);

    // Chain: refuse to run against the wrong chain, since every signature binds the chain id.
    const client = createChainClient({
      rpcUrls: config.chain.rpcUrls,
      chainId: config.chain.chainId,
      pollingIntervalMs: options.pollingIntervalMs,
    });
    const actualChainId = await client.getChainId();
    if (actualChainId !== config.chain.chainId)
      throw new ChainError(
        "CHAIN_ID_MISMATCH",
        `RPC reports chain ${actualChainId}, config says chain.chain_id = ${config.chain.chainId}`,
        { actualChainId, expected: config.chain.chainId },
      );
    const { registry, settlement } = config.chain.addresses;
    let head: bigint | null = null;
    let chainOk = true;

    const allowList = new PeerAllowList();
    let operators: OperatorInfo[] = [];
    const networks = new Map<bigint, NetworkInfo>();
    const refresh = async () => {
      operators = await getOperators(client, registry);
      allowList.set(operators.filter((o) => o.status === "Active" && o.peerId).map((o) => o.peerId!));
      for (const id of config.networks) {
        const n = await getNetwork(client, registry, id);
        networks.set(id, {
          ...n,
          // Devnet overrides of the on-chain timing (config epoch.*).
          epochLength: config.epoch.lengthSeconds ?? n.epochLength,
          genesisTime:
            config.epoch.genesisTime !== undefined ? BigInt(config.epoch.genesisTime) : n.genesisTime,
        });
      }
      head = await client.getBlockNumber();
      metrics.chainHead.set(Number(head));
      chainOk = true;
    };
    await refresh();
    const refreshTimer = setInterval(() => {
      refresh().catch((err: unknown) => {
        chainOk = false;
        log.warn({ err }, "registry refresh failed; keeping the last known state");
      });
    }, options.registryRefreshMs ?? 15_000);
    refreshTimer.unref();
    closers.push({ name: "registry refresh", close: () => clearInterval(refreshTimer) });
    const unwatch = watchSettlements(
      client,
      settlement,
      (e) =>
        log.info(
          { networkId: e.networkId, epoch: e.epoch, resultRoot: e.resultRoot },
          "epoch settled on chain",
        ),
      (err) => log.warn({ err }, "settlement watch failed"),
    );
    closers.push({ name: "settlement watch", close: unwatch });

    const store = Store.open({ dataDir: config.dataDir });
    closers.push({ name: "store", close: () => store.close() });

    const p2p = await createP2P(
      {
        listen: config.p2p.listen,
        bootstrap: config.p2p.bootstrap,
        mdns: config.p2p.mdns,
        // One gossip namespace per deployment: nodes of another chain or settlement never mix.
        namespace: `${config.chain.chainId}-${settlement.slice(2, 10).toLowerCase()}`,
        peerKeyFile: config.p2p.peerKeyFile,
        ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
      },
      { logger, metrics: metrics.registry, allowList },
    );
    closers.push({ name: "p2p", close: () => p2p.stop() });
    log.info({ peerId: p2p.peerId, signer: account.address, addrs: p2p.addresses() }, "p2p started");

    const activeSigners = () => operators.filter((o) => o.status === "Active").map((o) => o.signer);
    const currentEpoch = (n: NetworkInfo) => epochAt(n, BigInt(Math.floor(Date.now() / 1000)));
    const networkOf = (id: bigint) => {
      const n = networks.get(id);
      if (!n)
        throw new ChainError("CHAIN_UNKNOWN_NETWORK", `this node does not serve network ${id}`, {
          networkId: id,
        });
      return n;
    };

    const assignment = async (q: {
      networkId: bigint;
      epoch?: bigint;
      deviceId?: Hex;
    }): Promise<AssignmentView> => {
      const n = networkOf(q.networkId);
      const epoch = q.epoch ?? currentEpoch(n);
      const { beacon } = await getSettlementState(client, settlement, q.networkId);
      const nodes = activeSigners();
      const deviceIds = q.deviceId
        ? [q.deviceId]
        : (await getNetworkDevices(client, registry, q.networkId))
            .filter((d) => d.status === "Active")
            .map((d) => d.deviceId);
      const assigned =
        nodes.length === 0 ? new Map<Hex, Address[]>() : assignNetwork({ beacon, deviceIds, nodes, k: n.k });
      return {
        networkId: q.networkId,
        epoch,
        beacon,
        k: n.k,
        nodes,
        devices: deviceIds.map((deviceId) => ({ deviceId, nodes: assigned.get(deviceId) ?? [] })),
      };
    };

    const status = async (): Promise<NodeStatus> => ({
      peerId: p2p.peerId,
      signer: account.address,
      version: NODE_VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      chain: { chainId: config.chain.chainId, head },
      networks: await Promise.all(
        [...networks.values()].map(async (n) => {
          const s = await getSettlementState(client, settlement, n.networkId);
          return {
            networkId: n.networkId,
            epoch: currentEpoch(n),
            assignedDevices: (await assignment({ networkId: n.networkId })).devices.filter((d) =>
              d.nodes.includes(account.address),
            ).length,
            lastSettledEpoch: s.lastSettledEpoch,
          };
        }),
      ),
      peers: p2p.peers().length,
    });

    // The feed reads the store once the feed's store adapter lands; until then epochs published in memory.
    const feed = createFeedApp(createMemoryFeedSource());
    const app = createApiApp({
      logger,
      metrics,
      adminToken: config.api.adminToken,
      readiness: async () => ({
        chain: chainOk,
        registered: allowList.has(p2p.peerId),
        peers: p2p.peers().length > 0,
      }),
      status,
      peers: () => p2p.peers(),
      assignment,
      closeEpoch: options.devnet
        ? async (networkId) => {
            const n = networkOf(networkId);
            return { epoch: currentEpoch(n) };
          }
        : undefined,
      mounts: [{ path: "/", app: feed as unknown as Hono }, ...(options.mounts ?? [])],
    });
    const api = await serveApi(app, { host: config.api.host, port: config.api.port });
    closers.push({ name: "api", close: () => api.close() });
    log.info({ url: api.url }, "API listening");

    let closing: Promise<void> | undefined;
    return {
      config,
      logger,
      metrics,
      signer: account.address,
      peerId: p2p.peerId,
      p2p,
      store,
      api,
      networks: () => [...networks.values()],
      operators: () => operators,
      refresh,
      close: () => {
        closing ??= closeAll(closers, log);
        return closing;
      },
    };
  } catch (error) {
    await closeAll(closers, log);
    throw error;
  }
}

/** Closes modules in reverse start order; one failing does not stop the others from closing. */
async function closeAll(closers: { name: string; close: () => unknown }[], log: Logger): Promise<void> {
  for (const { name, close } of closers.splice(0).reverse()) {
    try {
      await close();
      log.debug({ module: name }, "closed");
    } catch (err) {
      log.error({ err, module: name }, "close failed");
    }
  }
  log.info("node stopped");
}
