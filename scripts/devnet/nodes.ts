import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { initNode } from "../../oracle-node/cli/index";
import { loadConfig } from "../../oracle-node/config/index";
import type { EventLog } from "./events";
import { freePort } from "./freePort";
import type { NodeKeys } from "./nodeKeys";
import type { ProcessSupervisor, SupervisedProcess } from "./processes";
import { type StartupTimeouts, waitForStartup } from "./waitForStartup";

/** The supervisor group of the oracle node processes: f of them may be down while the devnet goes on. */
export const ORACLE_NODES = "oracle nodes";

const VIGIL_CLI = fileURLToPath(new URL("../vigil.ts", import.meta.url));

export interface DevnetNode {
  index: number;
  keys: NodeKeys;
  configPath: string;
  /** The public feed API (`/v1/...`, `/assignment`, probes). */
  apiUrl: string;
  /** The device gateway's own listener; devices' gateway URLs are `${gatewayUrl}/device`. */
  gatewayUrl: string;
  /** Metrics and /admin. */
  adminUrl: string;
  adminToken: string;
  p2pAddr: string;
  /** Loopback only: the devnet never listens beyond this machine. */
  p2pListen: string;
}

/**
 * Writes each node's config with `vigil node init`'s own code (keys made by `prepareNodeKeys` are
 * kept), on free loopback ports, every node bootstrapping from all the others.
 */
export async function configureNodes(opts: {
  keys: readonly NodeKeys[];
  nodesDir: string;
  rpcUrl: string;
  chainId: number;
  deploymentFile: string;
  networkId: bigint;
}): Promise<DevnetNode[]> {
  const ports = await Promise.all(
    opts.keys.map(async () => ({
      api: await freePort(),
      gateway: await freePort(),
      admin: await freePort(),
      p2p: await freePort(),
    })),
  );
  const addr = (i: number) => `/ip4/127.0.0.1/tcp/${ports[i]!.p2p}/p2p/${opts.keys[i]!.peerId}`;
  const nodes: DevnetNode[] = [];
  for (const [i, keys] of opts.keys.entries()) {
    const dir = resolve(opts.nodesDir, `node-${i}`);
    const result = await initNode({
      dir,
      dataDir: keys.dataDir,
      networks: [opts.networkId],
      apiPort: ports[i]!.api,
      apiHost: "127.0.0.1",
      gatewayPort: ports[i]!.gateway,
      adminPort: ports[i]!.admin,
      p2pPort: ports[i]!.p2p,
      // Everyone dials everyone: a 4-node devnet needs a full mesh for gossip from the first epoch.
      bootstrap: opts.keys.flatMap((_, j) => (j === i ? [] : [addr(j)])),
      rpcUrls: [opts.rpcUrl],
      chainId: opts.chainId,
      deploymentFile: opts.deploymentFile,
      force: true,
    });
    const config = loadConfig({ path: result.configPath, env: {} });
    nodes.push({
      index: i,
      keys,
      configPath: result.configPath,
      apiUrl: `http://127.0.0.1:${ports[i]!.api}`,
      gatewayUrl: `http://127.0.0.1:${ports[i]!.gateway}`,
      adminUrl: `http://127.0.0.1:${ports[i]!.admin}`,
      adminToken: config.api.adminToken,
      p2pAddr: addr(i),
      p2pListen: `/ip4/127.0.0.1/tcp/${ports[i]!.p2p}`,
    });
  }
  return nodes;
}

/**
 * Starts each node as its own process, `vigil node start --config <file> --devnet`, in the
 * supervisor's `ORACLE_NODES` group. Returns the processes in node order.
 */
export function startNodeProcesses(
  nodes: readonly DevnetNode[],
  supervisor: ProcessSupervisor,
  logsDir: string,
): SupervisedProcess[] {
  return nodes.map((n) =>
    supervisor.spawnTs(
      `oracle node ${n.index}`,
      VIGIL_CLI,
      ["node", "start", "--config", n.configPath, "--devnet"],
      join(logsDir, `node-${n.index}.log`),
      {
        group: ORACLE_NODES,
        // `vigil node init` writes 0.0.0.0 listeners; the config's env override keeps nodes on loopback.
        // Epochs follow the registry's genesis, which the devnet set to after the nodes' start-up.
        env: { VIGIL_P2P_LISTEN: n.p2pListen, NODE_NO_WARNINGS: "1" },
      },
    ),
  );
}

interface PeerJson {
  peerId?: string;
  id?: string;
}

/** Reads a node's peers from its admin API (undefined while it is not answering). */
async function readPeers(n: DevnetNode): Promise<string[] | undefined> {
  try {
    const res = await fetch(`${n.adminUrl}/admin/peers`, {
      headers: { authorization: `Bearer ${n.adminToken}` },
      signal: AbortSignal.timeout(2_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as PeerJson[] | { peers?: PeerJson[] };
    const list = Array.isArray(body) ? body : (body.peers ?? []);
    return list.map((p) => p.peerId ?? p.id ?? String(p));
  } catch {
    return undefined;
  }
}

/**
 * Waits until each node's API answers `/health`, for as long as its process keeps making progress
 * (`waitForStartup`). Returns the nodes that came up; one whose process exited meanwhile is left
 * out (the supervisor has already said whether the devnet can do without it).
 */
export async function waitForNodes(
  nodes: readonly DevnetNode[],
  procs: readonly SupervisedProcess[],
  timeouts: StartupTimeouts,
): Promise<DevnetNode[]> {
  const up = await Promise.all(
    nodes.map((n, i) => waitForStartup(procs[i]!, () => answersHealth(n), timeouts)),
  );
  return nodes.filter((_, i) => up[i]);
}

async function answersHealth(n: DevnetNode): Promise<boolean> {
  try {
    const res = await fetch(`${n.apiUrl}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    // Not listening yet (refused) or too busy to answer within the second: not up yet.
    return false;
  }
}

/**
 * Follows each node's peers for the dashboard: emits a `node` event whenever a node's status or peer
 * set changes. Returns the function that stops following.
 */
export function watchNodes(nodes: readonly DevnetNode[], log: EventLog, intervalMs = 2_000): () => void {
  const last = new Map<number, string>();
  let stopped = false;
  const tick = async () => {
    while (!stopped) {
      for (const n of nodes) {
        const peers = await readPeers(n);
        const status = peers === undefined ? "down" : "up";
        const key = `${status}:${(peers ?? []).sort().join(",")}`;
        if (last.get(n.index) === key) continue;
        last.set(n.index, key);
        log.emit({
          type: "node",
          index: n.index,
          signer: n.keys.signer,
          peerId: n.keys.peerId,
          api: n.apiUrl,
          status,
          peers: peers ?? [],
        });
      }
      await sleep(intervalMs);
    }
  };
  void tick();
  return () => {
    stopped = true;
  };
}
