// `npm run bench -- feed [--devices N] [--seconds S] [--concurrency C] [--source store|memory|both]`:
// device-line requests per second served by one node, with proof generation, for a 100k-device epoch. The epoch's tree is
// built once; requests go through the real HTTP server on loopback, from a worker thread (its own
// event loop, so the load generator does not share the server's) with C concurrent keep-alive
// clients asking for random devices. Also reports the same through `app.request` (no sockets).
// `deviceLineRequestsPerSec` is the node's path (store adapter with the epoch's tree remembered),
// `storeOnly*` proofs read through the SQLite store alone, `memorySource*` the memory source.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { Hex } from "viem";
import type { BenchScenario } from "../../../scripts/bench/scenario";
import { treeNodesFromHex } from "../../agreement/linesTree";
import { serveApi } from "../../api";
import { Store } from "../../store/index";
import { createFeedApp } from "../createFeedApp";
import { deviceId, generateLines, oracleAccounts, signResultVote } from "../fixture";
import { buildTree, createMemoryFeedSource } from "../memorySource";
import type { FeedSource } from "../source";
import { createStoreFeedSource } from "../storeSource";

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const LOAD = `
const { parentPort, workerData } = require("node:worker_threads");
const { base, ids, seconds, concurrency } = workerData;
const latencies = [];
let ok = 0, failed = 0;
const end = performance.now() + seconds * 1000;
async function client() {
  while (performance.now() < end) {
    const id = ids[Math.floor(Math.random() * ids.length)];
    const t = performance.now();
    const res = await fetch(base + id);
    const body = await res.json();
    latencies.push(performance.now() - t);
    if (res.status === 200 && body.proof.length > 0) ok++; else failed++;
  }
}
const start = performance.now();
Promise.all(Array.from({ length: concurrency }, client)).then(() => {
  parentPort.postMessage({ ok, failed, elapsed: (performance.now() - start) / 1000, latencies });
});
`;

interface LoadResult {
  ok: number;
  failed: number;
  elapsed: number;
  latencies: number[];
}

const round = (x: number) => Number(x.toFixed(2));

/** Serves `source` on loopback and loads it from a worker; then the same requests through `app.request`. */
async function measure(source: FeedSource, ids: Hex[], seconds: number, concurrency: number) {
  const app = createFeedApp(source, { rateLimit: false });
  const server = await serveApi(app, { host: "127.0.0.1", port: 0 });
  let load: LoadResult;
  try {
    load = await new Promise<LoadResult>((resolve, reject) => {
      const worker = new Worker(LOAD, {
        eval: true,
        workerData: { base: `${server.url}/v1/networks/1/epochs/1/devices/`, ids, seconds, concurrency },
      });
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  } finally {
    await server.close();
  }
  if (load.failed > 0) throw new Error(`${load.failed} device-line requests failed`);
  const sorted = load.latencies.sort((a, b) => a - b);

  // Same requests without sockets: the ceiling set by routing, proof reading and JSON.
  const end = performance.now() + Math.min(seconds, 3) * 1000;
  let count = 0;
  const start = performance.now();
  while (performance.now() < end) {
    const res = await app.request(`/v1/networks/1/epochs/1/devices/${ids[count % ids.length]}`);
    await res.arrayBuffer();
    count++;
  }
  return {
    perSec: Math.round(load.ok / load.elapsed),
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    inProcessPerSec: Math.round(count / ((performance.now() - start) / 1000)),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

export const scenario: BenchScenario = {
  name: "feed",
  description:
    "device-line requests/s (with Merkle proof) served by one node's feed API for a 100k-device epoch",
  async run(args) {
    const devices = flag(args, "devices", 100_000);
    const seconds = flag(args, "seconds", 5);
    const concurrency = flag(args, "concurrency", 16);
    const networkId = 1n;
    const epoch = 1n;

    const which = args.includes("--source") ? args[args.indexOf("--source") + 1] : "both";
    if (which !== "both" && which !== "store" && which !== "memory")
      throw new Error("--source must be store, memory or both");

    const buildStart = performance.now();
    const lines = generateLines(networkId, epoch, devices);
    const tree = buildTree(lines);
    const treeBuildSeconds = (performance.now() - buildStart) / 1000;
    const result = {
      networkId,
      epoch,
      resultRoot: tree.nodes[0]!,
      observationsCommitment: `0x${"c0".repeat(32)}` as Hex,
      deviceCount: lines.length,
      qualifiedCount: lines.length,
      totalReward: lines.reduce((s, l) => s + l.reward, 0n),
      totalSlash: lines.reduce((s, l) => s + l.slash, 0n),
      slashes: [],
      lines,
      observations: [],
    };
    const ctx = { chainId: 31337, settlement: "0x00000000000000000000000000000000000000aa" } as const;
    const votes = await Promise.all(
      oracleAccounts(4)
        .slice(0, 3)
        .map((o) => signResultVote(o, ctx, result)),
    );
    const ids = Array.from({ length: 1000 }, (_, i) => deviceId(Math.floor((i * devices) / 1000)));
    const figures: Record<string, unknown> = {
      devices,
      concurrency,
      seconds,
      proofLength: Math.ceil(Math.log2(devices)),
      treeBuildSeconds: round(treeBuildSeconds),
    };

    if (which !== "memory") {
      // What a node serves: the feed over its SQLite store (`createStoreFeedSource`).
      const dir = mkdtempSync(join(tmpdir(), "vigil-feed-bench-"));
      const store = Store.open({ dataDir: dir });
      try {
        const saveStart = performance.now();
        store.saveResult(result, { nodes: treeNodesFromHex(tree.nodes), treeIndex: tree.treeIndex });
        for (const vote of votes) store.saveVote({ ...result, ...vote });
        figures.storeSaveSeconds = round((performance.now() - saveStart) / 1000);
        // As the node wires it: the agreement hands the computed tree to the feed (`rememberTree`).
        const node = createStoreFeedSource(store, { isSettled: () => true });
        node.rememberTree(result, tree);
        const m = await measure(node, ids, seconds, concurrency);
        figures.deviceLineRequestsPerSec = m.perSec;
        figures.p50Ms = m.p50Ms;
        figures.p99Ms = m.p99Ms;
        figures.inProcessRequestsPerSec = m.inProcessPerSec;
        // Proofs read through the store alone (it reads the whole tree blob per request today).
        const bare = await measure(
          createStoreFeedSource(store, { isSettled: () => true }),
          ids,
          seconds,
          concurrency,
        );
        figures.storeOnlyRequestsPerSec = bare.perSec;
        figures.storeOnlyP50Ms = bare.p50Ms;
        figures.storeOnlyP99Ms = bare.p99Ms;
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (which !== "store") {
      // The same epoch held in memory: the ceiling once the store reads proofs cheaply.
      const source = createMemoryFeedSource();
      source.publishEpoch({ ...result, tree, votes, settled: true });
      const m = await measure(source, ids, seconds, concurrency);
      figures.memorySourceRequestsPerSec = m.perSec;
      figures.memorySourceP50Ms = m.p50Ms;
      figures.memorySourceP99Ms = m.p99Ms;
      figures.memorySourceInProcessRequestsPerSec = m.inProcessPerSec;
    }
    return figures;
  },
};
