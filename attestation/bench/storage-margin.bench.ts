// `npm run bench -- storage-margin [--chunks N] [--chunk-bytes N] [--runs N] [--delay-ms N]`: how much
// longer a device takes to answer a storage challenge from a remote copy of its replica than from its
// own disk, i.e. what margin a deadline has to tell them apart. The remote copy is served over HTTP
// from another network namespace behind a veth pair, delayed like a WAN link (`tc netem`, or a relay
// in user space where the kernel has no netem); where no namespace can be made (not root, no `ip`),
// it is served on loopback behind the same relay, and the output says so.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { BenchScenario } from "../../scripts/bench/scenario";
import { type StorageSet, storageSampleIndices } from "../challenges/storage";
import { nodeSigner, nodeVerify } from "../crypto/node";
import { answerStorage } from "../device";
import { challengeIdOf, taggedHash, u32be } from "../hash";
import { type Message, verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import { openReplicaFile, writeReplicaFile } from "../storage/replicaFile";

/** Samples per storage challenge: what `paramsFor` asks (8). */
const SAMPLES = 8;
const NET = 1n;

// The remote copy: a plain node:http server (no tsx) returning the asked chunks in one body. With a
// relay delay it listens on the namespace's loopback only, behind a TCP relay that holds each piece
// of data `delay` ms in each direction.
const SERVER = String.raw`
import { createServer } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { openSync, readSync } from "node:fs";
const [file, chunkBytes, host, port, delay] = process.argv.slice(2);
const fd = openSync(file, "r");
const cb = Number(chunkBytes);
const http = createServer((req, res) => {
  const m = /^\/chunks\/([0-9,]+)$/.exec(req.url ?? "");
  if (!m) return res.writeHead(404).end();
  const idx = m[1].split(",").map(Number);
  const out = Buffer.alloc(idx.length * cb);
  idx.forEach((i, k) => readSync(fd, out, k * cb, cb, i * cb));
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": out.length }).end(out);
});
const ready = () => console.log("ready");
if (Number(delay) === 0) http.listen(Number(port), host, ready);
else
  http.listen(0, "127.0.0.1", () => {
    const inner = http.address().port;
    createTcpServer((client) => {
      client.setNoDelay(true);
      const upstream = connect(inner, "127.0.0.1");
      const relay = (from, to) => from.on("data", (d) => setTimeout(() => to.write(d), Number(delay)));
      relay(client, upstream);
      relay(upstream, client);
      const end = () => (client.destroy(), upstream.destroy());
      for (const s of [client, upstream]) s.on("close", end).on("error", end);
    }).listen(Number(port), host, ready);
  });
`;

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[xs.length >> 1]!;
const p95 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
const round = (x: number, d = 3) => Number(x.toFixed(d));

/** Where the remote copy is served from, and how its link is delayed. */
interface RemoteSite {
  host: string;
  /** Command prefix that runs inside the site's namespace (empty on loopback). */
  exec: string[];
  /** Delay the server's own relay adds each way, ms (0 where netem delays the link). */
  relayDelayMs: number;
  link: string;
  close?: () => void;
}

/**
 * A network namespace with a veth link to this one, delayed `delayMs` each way: by `tc netem` on both
 * ends, or by the server's relay where the kernel has no netem. Throws if no namespace can be made;
 * `close` removes everything it made.
 */
function wanNamespace(delayMs: number): RemoteSite {
  const tag = (process.pid % 100_000).toString(36);
  const ns = `vigil-sm-${tag}`;
  const [a, b] = [`vsm${tag}a`, `vsm${tag}b`];
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
  const steps: (() => void)[] = [];
  const close = () => {
    // Deleting the namespace destroys its end of the pair, and with it ours; each step is tried.
    for (const undo of steps.reverse()) {
      try {
        undo();
      } catch {
        // Already gone with the namespace: nothing left to undo.
      }
    }
  };
  try {
    ip("netns", "add", ns);
    steps.push(() => ip("netns", "del", ns));
    ip("link", "add", a, "type", "veth", "peer", "name", b);
    steps.push(() => ip("link", "del", a));
    ip("link", "set", b, "netns", ns);
    ip("addr", "add", "10.213.0.1/30", "dev", a);
    ip("link", "set", a, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", "10.213.0.2/30", "dev", b);
    ip("netns", "exec", ns, "ip", "link", "set", b, "up");
    ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
  } catch (e) {
    close();
    throw e;
  }
  const site = { host: "10.213.0.2", exec: ["ip", "netns", "exec", ns], close };
  const link = `veth into network namespace ${ns} (10.213.0.0/30)`;
  try {
    const netem = ["root", "netem", "delay", `${delayMs}ms`];
    execFileSync("tc", ["qdisc", "add", "dev", a, ...netem], { stdio: "pipe" });
    ip("netns", "exec", ns, "tc", "qdisc", "add", "dev", b, ...netem);
    return { ...site, relayDelayMs: 0, link: `${link}, tc netem ${delayMs} ms each way` };
  } catch {
    // No netem qdisc in this kernel (sch_netem not built or not loaded): delay in user space.
    return {
      ...site,
      relayDelayMs: delayMs,
      link: `${link}; no tc netem in this kernel, so a TCP relay in the namespace delays ${delayMs} ms each way`,
    };
  }
}

/** Starts the remote copy's server at `site`; resolves once it listens. */
async function startServer(site: RemoteSite, file: string, chunkBytes: number, dir: string) {
  const script = join(dir, "server.mjs");
  writeFileSync(script, SERVER);
  const port = 18_000 + (process.pid % 1000);
  const args = [script, file, String(chunkBytes), site.host, String(port), String(site.relayDelayMs)];
  const cmd = [...site.exec, process.execPath, ...args];
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`remote copy server exited with ${code}`)));
    child.stdout!.once("data", () => resolve());
  });
  child.removeAllListeners("exit");
  return { url: `http://${site.host}:${port}`, stop: () => child.kill() };
}

export const scenario: BenchScenario = {
  name: "storage-margin",
  description:
    "one storage challenge (8 chunks + proofs, signed) answered from the local replica file vs from a remote copy over HTTP across a WAN-like link in another netns",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        chunks: { type: "string", default: "16384" },
        "chunk-bytes": { type: "string", default: "1024" },
        runs: { type: "string", default: "40" },
        "delay-ms": { type: "string", default: "20" },
      },
    });
    const chunks = Number(values.chunks);
    const chunkBytes = Number(values["chunk-bytes"]);
    const runs = Number(values.runs);
    const delayMs = Number(values["delay-ms"]);
    const dir = mkdtempSync(join(tmpdir(), "vigil-storage-margin-"));
    const device = nodeSigner(taggedHash("vigil.bench.storage-margin.device"));
    const challenger = nodeSigner(taggedHash("vigil.bench.storage-margin.node"));
    const cleanup: (() => void)[] = [() => rmSync(dir, { recursive: true, force: true })];
    const undo = () => {
      for (const c of cleanup.splice(0).reverse()) c();
    };
    const onSignal = () => {
      undo();
      process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const file = join(dir, "replica");
      const secret = taggedHash("vigil.bench.client");
      const target = writeReplicaFile(file, secret, device.publicKey, chunks, chunkBytes);
      const held = await openReplicaFile(file, chunks, chunkBytes);
      const challenge = (run: number): Message<"challenge"> => {
        const bytes = signMessage(
          "challenge",
          { networkId: NET, epoch: 0n },
          {
            deviceId: device.publicKey,
            beacon: new Uint8Array(32),
            nonce: taggedHash("vigil.bench.nonce", u32be(run)),
            saltHash: new Uint8Array(32),
            issuedAtMs: 0n,
            deadlineMs: 2_000n,
            params: { type: "storage", samples: SAMPLES, ...target },
          },
          challenger,
        );
        const m = verifyMessage(bytes, { kind: "challenge", networkId: NET }, nodeVerify);
        if (!m.ok) throw m.error;
        return m.value;
      };
      /** Time from the challenge's receipt to a signed answer, the chunks coming from `fetchChunks`. */
      const answerMs = async (run: number, fetchChunks: (indices: number[]) => Promise<StorageSet>) => {
        const c = challenge(run);
        const t0 = performance.now();
        const indices = storageSampleIndices(challengeIdOf(c.signingBytes), chunks, SAMPLES);
        answerStorage(device, c, await fetchChunks(indices));
        return performance.now() - t0;
      };

      let remote: RemoteSite;
      let fallback: string | undefined;
      try {
        remote = wanNamespace(delayMs);
        cleanup.push(remote.close!);
      } catch (e) {
        fallback = `no network namespace (${(e as Error).message.split("\n")[0]}): loopback`;
        console.error(`storage-margin: ${fallback}`);
        remote = {
          host: "127.0.0.1",
          exec: [],
          relayDelayMs: delayMs,
          link: `loopback (fallback), a TCP relay delays ${delayMs} ms each way`,
        };
      }
      const server = await startServer(remote, file, chunkBytes, dir);
      cleanup.push(server.stop);
      // The device kept its tree (about 64 bytes a chunk): only the chunks come over the link.
      const tree = await held.read([]);
      const asSet = (indices: number[], parts: Uint8Array[]): StorageSet => {
        const data: Uint8Array[] = new Array(chunks);
        indices.forEach((i, k) => {
          data[i] = parts[k]!;
        });
        return { ...tree, chunks: data };
      };
      const bytesOf = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
      // The cheat's best: one request for all sampled chunks (one round trip).
      const fromRemote = async (indices: number[]) => {
        const body = await bytesOf(`${server.url}/chunks/${indices.join(",")}`);
        return asSet(
          indices,
          indices.map((_, k) => body.subarray(k * chunkBytes, (k + 1) * chunkBytes)),
        );
      };
      // A plain client: one request per chunk, all in parallel.
      const fromRemoteEach = async (indices: number[]) =>
        asSet(indices, await Promise.all(indices.map((i) => bytesOf(`${server.url}/chunks/${i}`))));
      const fromDisk = (indices: number[]) => held.read(indices);

      // Warm up the page cache, the connections and the JIT.
      for (let r = 0; r < 5; r++) {
        await answerMs(r, fromDisk);
        await answerMs(r, fromRemote);
        await answerMs(r, fromRemoteEach);
      }
      const local: number[] = [];
      const remoteOne: number[] = [];
      const remoteEach: number[] = [];
      for (let r = 0; r < runs; r++) {
        local.push(await answerMs(1_000 + r, fromDisk));
        remoteOne.push(await answerMs(1_000 + r, fromRemote));
        remoteEach.push(await answerMs(1_000 + r, fromRemoteEach));
      }
      const localMs = median(local);
      const remoteMs = median(remoteOne);
      return {
        remoteLink: remote.link,
        ...(fallback && { fallback }),
        replicaBytes: chunks * chunkBytes,
        chunkBytes,
        samples: SAMPLES,
        runs,
        timeBasis: "wall clock from a challenge's receipt to its signed answer: median, p95",
        localMs: round(localMs),
        localP95Ms: round(p95(local)),
        remoteMs: round(remoteMs),
        remoteP95Ms: round(p95(remoteOne)),
        remoteParallelRequestsMs: round(median(remoteEach)),
        remoteToLocalRatio: round(remoteMs / localMs, 1),
        productionStorageDeadlineMs: 2_000,
        remoteFitsProductionDeadline: p95(remoteOne) < 2_000,
      };
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      undo();
    }
  },
};
