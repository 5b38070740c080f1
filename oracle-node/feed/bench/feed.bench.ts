// `npm run bench -- feed [--devices N] [--seconds S] [--concurrency C]`: device-line requests per
// second served by one node, with proof generation, for a 100k-device epoch. The epoch's tree is
// built once; requests go through the real HTTP server on loopback, from a worker thread (its own
// event loop, so the load generator does not share the server's) with C concurrent keep-alive
// clients asking for random devices. Also reports the same through `app.request` (no sockets).
import { Worker } from "node:worker_threads";
import type { BenchScenario } from "../../../scripts/bench/scenario";
import { serveApi } from "../../api";
import { createFeedApp } from "../createFeedApp";
import { deviceId, generateLines, oracleAccounts, signResultVote } from "../fixture";
import { createMemoryFeedSource } from "../memorySource";

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

    const source = createMemoryFeedSource();
    const buildStart = performance.now();
    const lines = generateLines(networkId, epoch, devices);
    const result = source.publishEpoch({
      networkId,
      epoch,
      observationsCommitment: `0x${"c0".repeat(32)}`,
      lines,
      settled: true,
    });
    const treeBuildSeconds = (performance.now() - buildStart) / 1000;
    const ctx = { chainId: 31337, settlement: "0x00000000000000000000000000000000000000aa" } as const;
    source.addVotes(
      networkId,
      epoch,
      await Promise.all(
        oracleAccounts(4)
          .slice(0, 3)
          .map((o) => signResultVote(o, ctx, result)),
      ),
    );

    const app = createFeedApp(source, { rateLimit: false });
    const server = await serveApi(app, { host: "127.0.0.1", port: 0 });
    const ids = Array.from({ length: 1000 }, (_, i) => deviceId(Math.floor((i * devices) / 1000)));
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

    // Same requests without sockets: the ceiling set by routing, proof generation and JSON.
    const inProcessEnd = performance.now() + Math.min(seconds, 3) * 1000;
    let inProcess = 0;
    const inProcessStart = performance.now();
    while (performance.now() < inProcessEnd) {
      const res = await app.request(`/v1/networks/1/epochs/1/devices/${ids[inProcess % ids.length]}`);
      await res.arrayBuffer();
      inProcess++;
    }
    const inProcessSeconds = (performance.now() - inProcessStart) / 1000;

    return {
      devices,
      concurrency,
      seconds: Number(load.elapsed.toFixed(2)),
      proofLength: Math.ceil(Math.log2(devices)),
      treeBuildSeconds: Number(treeBuildSeconds.toFixed(2)),
      requests: load.ok,
      deviceLineRequestsPerSec: Math.round(load.ok / load.elapsed),
      p50Ms: Number(percentile(sorted, 0.5).toFixed(2)),
      p99Ms: Number(percentile(sorted, 0.99).toFixed(2)),
      inProcessRequestsPerSec: Math.round(inProcess / inProcessSeconds),
    };
  },
};
