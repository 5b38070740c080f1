import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { build } from "esbuild";
import { CreHostError } from "./errors";

/** What the host does for one execution's host-function calls (bytes are the SDK's protobufs). */
export interface ExecutionHandlers {
  /** Starts a capability call; returns false when no such capability exists here. */
  callCapability(request: Uint8Array): boolean;
  awaitCapabilities(request: Uint8Array, maxResponseSize: number): Promise<Uint8Array>;
  getSecrets(request: Uint8Array): void;
  awaitSecrets(request: Uint8Array, maxResponseSize: number): Promise<Uint8Array>;
  switchModes(mode: number): void;
  log(message: string): void;
}

interface HostMessage {
  op: "call" | "await" | "getSecrets" | "awaitSecrets" | "mode" | "log" | "response" | "failed";
  seq: number;
  req?: number;
  bytes?: Uint8Array;
  maxSize?: number;
  mode?: number;
  message?: string;
  error?: string;
}

let workerRuntime: Promise<string> | undefined;

/** The worker-side runtime, bundled once per process. */
function workerRuntimeCode(): Promise<string> {
  workerRuntime ??= build({
    entryPoints: [fileURLToPath(new URL("./worker-runtime.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    write: false,
    logLevel: "silent",
  }).then((r) => r.outputFiles[0]!.text);
  return workerRuntime;
}

interface Running {
  seq: number;
  handlers: ExecutionHandlers;
  resolve: (result: Uint8Array) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One worker thread that runs a bundled workflow, one execution at a time. A worker stuck past the
 * execution deadline (a busy loop, say) is terminated and replaced on the next execution.
 */
export class WorkflowSandbox {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private signal: Int32Array | undefined;
  private running: Running | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private closed = false;

  constructor(
    private readonly code: string,
    private readonly filename: string,
    private readonly reusable = false,
    private readonly maxMemoryMb = 100,
  ) {}

  private async start(): Promise<void> {
    const runtime = await workerRuntimeCode();
    const { port1, port2 } = new MessageChannel();
    const shared = new SharedArrayBuffer(4);
    this.signal = new Int32Array(shared);
    this.port = port1;
    this.worker = new Worker(runtime, {
      eval: true,
      workerData: {
        code: this.code,
        filename: this.filename,
        reusable: this.reusable,
        port: port2,
        signal: shared,
      },
      transferList: [port2],
      // A workflow gets CRE's memory quota (`CreLimits.maxMemoryMb`), not the node's.
      resourceLimits: { maxOldGenerationSizeMb: this.maxMemoryMb },
    });
    this.worker.unref();
    port1.unref();
    port1.on("message", (m: HostMessage) => void this.onMessage(m));
    const worker = this.worker;
    worker.on("error", (err) => this.crash(worker, err));
    worker.on("exit", (code) => this.crash(worker, new Error(`worker exited with code ${code}`)));
  }

  private crash(worker: Worker, err: Error): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    const r = this.running;
    if (r) {
      this.running = undefined;
      clearTimeout(r.timer);
      r.reject(
        new CreHostError("WORKER_CRASHED", `workflow worker crashed: ${err.message}`, {}, { cause: err }),
      );
    }
  }

  private reply(m: HostMessage, value: Uint8Array | number | Error): void {
    if (!this.running || this.running.seq !== m.seq || !this.port || !this.signal) return;
    const req = m.req;
    this.port.postMessage(
      value instanceof Error ? { req, ok: false, error: value.message } : { req, ok: true, value },
    );
    Atomics.add(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
  }

  private async onMessage(m: HostMessage): Promise<void> {
    const r = this.running;
    if (!r || r.seq !== m.seq) return;
    const h = r.handlers;
    try {
      switch (m.op) {
        case "call":
          this.reply(m, h.callCapability(m.bytes!) ? 0 : -1);
          return;
        case "await":
          this.reply(m, await h.awaitCapabilities(m.bytes!, m.maxSize!));
          return;
        case "getSecrets":
          h.getSecrets(m.bytes!);
          this.reply(m, 0);
          return;
        case "awaitSecrets":
          this.reply(m, await h.awaitSecrets(m.bytes!, m.maxSize!));
          return;
        case "mode":
          h.switchModes(m.mode!);
          return;
        case "log":
          h.log(m.message!);
          return;
        case "response":
          this.finish(m.seq, m.bytes!);
          return;
        case "failed":
          this.finish(m.seq, new CreHostError("NO_RESPONSE", m.error ?? "workflow failed"));
          return;
      }
    } catch (err) {
      this.reply(m, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private finish(seq: number, result: Uint8Array | Error): void {
    const r = this.running;
    if (!r || r.seq !== seq) return;
    this.running = undefined;
    clearTimeout(r.timer);
    if (result instanceof Error) r.reject(result);
    else r.resolve(result);
  }

  /**
   * Runs one execution: `request` is a serialized `ExecuteRequest`; resolves with the serialized
   * `ExecutionResult` the workflow sent. Executions on one sandbox run one after another.
   */
  execute(request: Uint8Array, handlers: ExecutionHandlers, timeoutMs: number): Promise<Uint8Array> {
    this.pending++;
    const run = this.queue.then(() => this.run(request, handlers, timeoutMs));
    this.queue = run.catch(() => {}).finally(() => this.pending--);
    return run;
  }

  /** Executions queued or running on this sandbox. */
  pending = 0;

  private async run(
    request: Uint8Array,
    handlers: ExecutionHandlers,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    if (this.closed) throw new CreHostError("HOST_STOPPED", "the workflow sandbox is closed");
    if (!this.worker) await this.start();
    const seq = ++this.seq;
    const deadline = Date.now() + timeoutMs;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.running?.seq !== seq) return;
        this.running = undefined;
        // The worker may be blocked in Atomics.wait or a busy loop: replace it.
        const w = this.worker;
        this.worker = undefined;
        void w?.terminate();
        reject(
          new CreHostError("EXECUTION_TIMEOUT", `workflow execution exceeded its ${timeoutMs} ms limit`, {
            timeoutMs,
          }),
        );
      }, timeoutMs + 50);
      this.running = { seq, handlers, resolve, reject, timer };
      this.worker!.postMessage({ type: "execute", seq, request, deadline });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    this.port?.close();
    if (this.running) this.finish(this.running.seq, new CreHostError("HOST_STOPPED", "the host stopped"));
    await w?.terminate();
  }
}

/**
 * Up to `size` sandboxes (worker threads, started on first use) for one workflow, so a slow
 * execution (waiting on consensus or a chain) does not hold up the next trigger. CRE runs at most 5
 * executions of a workflow at once (PerWorkflow.ExecutionConcurrencyLimit).
 */
export class SandboxPool {
  private readonly sandboxes: WorkflowSandbox[] = [];

  constructor(
    private readonly code: string,
    private readonly filename: string,
    private readonly reusable: boolean,
    private readonly size: number,
    private readonly maxMemoryMb = 100,
  ) {}

  execute(request: Uint8Array, handlers: ExecutionHandlers, timeoutMs: number): Promise<Uint8Array> {
    let target = this.sandboxes.find((s) => s.pending === 0);
    if (!target && this.sandboxes.length < this.size) {
      target = new WorkflowSandbox(this.code, this.filename, this.reusable, this.maxMemoryMb);
      this.sandboxes.push(target);
    }
    target ??= this.sandboxes.reduce((a, b) => (b.pending < a.pending ? b : a));
    return target.execute(request, handlers, timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all(this.sandboxes.map((s) => s.close()));
  }
}
