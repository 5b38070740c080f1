// `npm run bench -- export [--devices N] [--gzip]`: one epoch export (`GET .../epochs/{e}/export`)
// of N devices from a node's SQLite store, through the real HTTP server on loopback, read and
// verified by the feed client (`exportEpoch`: votes, every row hashed, root rebuilt). Reports the
// bytes on the wire, rows/s end to end, and the process's peak RSS (server and client share it, so
// it bounds both; the store fill is measured before).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import type { BenchScenario } from "../../../scripts/bench/scenario";
import { treeNodesFromHex } from "../../agreement/linesTree";
import { serveApi } from "../../api";
import { Store } from "../../store/index";
import { createFeedClient } from "../client/index";
import { createFeedApp } from "../createFeedApp";
import { generateLines, oracleAccounts, signResultVote } from "../fixture";
import { buildTree } from "../memorySource";
import { createStoreFeedSource } from "../storeSource";

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const round = (x: number) => Number(x.toFixed(2));
const mb = (bytes: number) => round(bytes / 2 ** 20);

export const scenario: BenchScenario = {
  name: "export",
  description: "bytes, rows/s and peak RSS of one verified epoch export of N devices (default 100k)",
  async run(args) {
    const devices = flag(args, "devices", 100_000);
    const gzip = args.includes("--gzip");
    const ctx = { chainId: 31337, settlement: "0x00000000000000000000000000000000000000aa" } as const;
    const lines = generateLines(1n, 1n, devices);
    const tree = buildTree(lines);
    const result = {
      networkId: 1n,
      epoch: 1n,
      resultRoot: tree.nodes[0]!,
      observationsCommitment: `0x${"c0".repeat(32)}` as Hex,
      deviceCount: lines.length,
      qualifiedCount: lines.length,
      totalReward: lines.reduce((s, l) => s + l.reward, 0n),
      totalSlash: 0n,
      slashes: [],
      lines,
      observations: [],
    };
    const oracles = oracleAccounts(4);
    const dir = mkdtempSync(join(tmpdir(), "vigil-export-bench-"));
    const store = Store.open({ dataDir: dir });
    try {
      store.saveResult(result, { nodes: treeNodesFromHex(tree.nodes), treeIndex: tree.treeIndex });
      for (const o of oracles.slice(0, 2))
        store.saveVote({ ...result, ...(await signResultVote(o, ctx, result)) });
      lines.length = 0; // the node does not hold the lines: the export reads them from the store
      const rssBeforeExport = process.memoryUsage().rss;
      let peakRss = rssBeforeExport;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 20);
      const source = createStoreFeedSource(store, { networks: [1n] });
      const server = await serveApi(createFeedApp(source, { rateLimit: false, exportRateLimit: false }), {
        host: "127.0.0.1",
        port: 0,
      });
      try {
        // Raw bytes on the wire, as a consumer without the client would read them.
        let t = performance.now();
        const res = await fetch(`${server.url}/v1/networks/1/epochs/1/export`, {
          headers: { "accept-encoding": gzip ? "gzip" : "identity" },
        });
        let wireBytes = 0;
        // Node's fetch decodes gzip: count what arrives by reading the stream of a raw request instead.
        for await (const chunk of res.body!) wireBytes += (chunk as Uint8Array).byteLength;
        const rawSeconds = (performance.now() - t) / 1000;
        const gzipBytes = gzip ? await gzippedSize(`${server.url}/v1/networks/1/epochs/1/export`) : undefined;

        t = performance.now();
        let rows = 0;
        await createFeedClient({
          nodes: [server.url],
          ...ctx,
          signers: oracles.map((o) => o.address),
        }).exportEpoch(1n, 1n, { onLine: () => void rows++ });
        const verifySeconds = (performance.now() - t) / 1000;
        clearInterval(sampler);
        return {
          devices,
          bytes: wireBytes,
          bytesPerDevice: round(wireBytes / devices),
          ...(gzipBytes === undefined ? {} : { gzipBytes }),
          serveRowsPerSec: Math.round(devices / rawSeconds),
          serveSeconds: round(rawSeconds),
          verifiedRowsPerSec: Math.round(rows / verifySeconds),
          verifySeconds: round(verifySeconds),
          rssBeforeExportMB: mb(rssBeforeExport),
          peakRssMB: mb(peakRss),
        };
      } finally {
        clearInterval(sampler);
        await server.close();
      }
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Compressed size on the wire: node:http leaves the body encoded. */
async function gzippedSize(url: string): Promise<number> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    request(url, { headers: { "accept-encoding": "gzip" } }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => {
        bytes += c.byteLength;
      });
      res.on("end", () => resolve(bytes));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}
