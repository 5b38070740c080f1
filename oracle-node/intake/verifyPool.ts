import { createHash } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { buildSync } from "esbuild";

export interface VerifyPoolOptions {
  /** Worker threads; one per core the node may use for verification. */
  threads: number;
  /** Batches in flight per worker; more hides message-passing latency, bounded so memory stays bounded. */
  maxInFlightPerThread?: number;
}

interface Pending {
  resolve: (ok: Uint8Array) => void;
  reject: (error: Error) => void;
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Bundles verifyWorker.ts (and the attestation library) into one ESM file a Worker can load. Named
 * by the hash of the bundle itself, not of verifyWorker.ts alone: a change anywhere in what it
 * imports (the message decoders) must never run against a stale bundle left in the temp directory.
 */
function workerFile(): string {
  const entry = join(here, "verifyWorker.ts");
  const source = existsSync(entry) ? entry : join(here, "verifyWorker.js");
  const result = buildSync({
    entryPoints: [source],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  const contents = result.outputFiles[0]!.contents;
  const out = join(
    tmpdir(),
    `vigil-verify-worker-${createHash("sha256").update(contents).digest("hex").slice(0, 16)}.mjs`,
  );
  // Write then rename would be atomic; a concurrent writer produces identical bytes, so plain write is safe.
  if (!existsSync(out)) writeFileSync(out, contents);
  return out;
}

/**
 * Ed25519 verification of heartbeat batches on worker threads, so one node uses every core it is
 * given: the main thread only frames batches and credits results.
 */
export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[] = [];
  private nextId = 0;
  private closed = false;

  constructor(options: VerifyPoolOptions) {
    const file = workerFile();
    for (let i = 0; i < options.threads; i++) {
      const worker = new Worker(file);
      worker.on("message", (m: { id: number; ok: Uint8Array }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        this.load[i]!--;
        if (this.pending.size === 0) for (const w of this.workers) w.unref();
        p?.resolve(m.ok);
      });
      worker.on("error", (error) => {
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
      // Idle workers must not keep the process alive; busy ones must (see `verify`).
      worker.unref();
      this.workers.push(worker);
      this.load.push(0);
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Verifies heartbeats for one network epoch; resolves with 1/0 per message, in order. */
  verify(messages: readonly Uint8Array[], networkId: bigint, epoch: bigint): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error("verify pool is closed"));
    const offsets = new Uint32Array(messages.length + 1);
    let total = 0;
    for (let i = 0; i < messages.length; i++) {
      offsets[i] = total;
      total += messages[i]!.length;
    }
    offsets[messages.length] = total;
    const buffer = new Uint8Array(total);
    for (let i = 0; i < messages.length; i++) buffer.set(messages[i]!, offsets[i]!);
    // Least-loaded worker: batches differ in size and workers share cores with the main thread.
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[w]!) w = i;
    this.load[w]!++;
    const id = this.nextId++;
    if (this.pending.size === 0) for (const worker of this.workers) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[w]!.postMessage({ id, buffer: buffer.buffer, offsets, networkId, epoch }, [buffer.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error("verify pool closed"));
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
