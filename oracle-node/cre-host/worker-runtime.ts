/**
 * Runs inside the workflow's worker thread (bundled on its own by esbuild, so it may import only
 * Node built-ins). It provides the host functions the CRE SDK's WASM runtime calls on `globalThis`
 * and turns each blocking call into a message to the main thread plus an `Atomics.wait`, the way a
 * WASM host blocks the guest while it does async work. A bundle that calls `main()` itself is
 * re-evaluated per execution; one that exports `main` is evaluated once and `main()` runs per
 * execution (module initialization of the SDK dominates the cost of an execution otherwise).
 */
import { Script } from "node:vm";
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";

interface WorkerInit {
  code: string;
  filename: string;
  reusable: boolean;
  port: MessagePort;
  signal: SharedArrayBuffer;
}

interface Execute {
  type: "execute";
  seq: number;
  request: Uint8Array;
  deadline: number;
}

type Reply = { ok: true; value: Uint8Array | number } | { ok: false; error: string };

const init = workerData as WorkerInit;
const flag = new Int32Array(init.signal);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const script = new Script(init.code, { filename: init.filename });
const later = setImmediate;
let current: Execute | undefined;
let responded = false;

function post(op: string, payload: Record<string, unknown> = {}): void {
  init.port.postMessage({ op, seq: current?.seq ?? -1, ...payload });
}

let requests = 0;

/**
 * A blocking call to the host. The shared word counts the host's replies: read it, look for the
 * reply on the port, and sleep only while the count is unchanged, so no wake-up can be missed and a
 * reply is matched to its request by id.
 */
function call(op: string, payload: Record<string, unknown>): Uint8Array | number {
  const exec = current;
  if (!exec) throw new Error(`host function ${op} called outside an execution`);
  const req = ++requests;
  post(op, { ...payload, req });
  for (;;) {
    const seen = Atomics.load(flag, 0);
    for (let m = receiveMessageOnPort(init.port); m; m = receiveMessageOnPort(init.port)) {
      const reply = m.message as Reply & { req: number };
      if (reply.req !== req) continue;
      if (!reply.ok) throw new Error(reply.error);
      return reply.value;
    }
    const remaining = exec.deadline - Date.now();
    if (remaining <= 0) throw new Error("execution timeout: the workflow exceeded its time limit");
    Atomics.wait(flag, 0, seen, remaining);
  }
}

function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  throw new Error("host function expected bytes");
}

const host = {
  versionV2: () => {},
  getWasiArgs: () => {
    if (!current) throw new Error("getWasiArgs called outside an execution");
    return JSON.stringify(["workflow.wasm", Buffer.from(current.request).toString("base64")]);
  },
  switchModes: (mode: number) => post("mode", { mode }),
  log: (message: string) => post("log", { message: String(message) }),
  now: () => Date.now(),
  sleep: (ms: number) => {
    Atomics.wait(sleeper, 0, 0, Math.max(0, Number(ms)));
  },
  callCapability: (req: unknown) => call("call", { bytes: bytes(req) }) as number,
  awaitCapabilities: (req: unknown, maxSize: number) =>
    call("await", { bytes: bytes(req), maxSize }) as Uint8Array,
  getSecrets: (req: unknown, maxSize: number) => call("getSecrets", { bytes: bytes(req), maxSize }) as number,
  awaitSecrets: (req: unknown, maxSize: number) =>
    call("awaitSecrets", { bytes: bytes(req), maxSize }) as Uint8Array,
  sendResponse: (res: unknown) => {
    if (responded) return -1;
    responded = true;
    post("response", { bytes: bytes(res) });
    return 0;
  },
};
Object.assign(globalThis, host);

// What a CRE workflow cannot reach in WASM is removed here too, so a workflow that runs on the node
// also runs on Chainlink's CRE (network and timers go through capabilities).
for (const name of ["fetch", "WebSocket", "XMLHttpRequest", "EventSource", "setTimeout", "setInterval"]) {
  Reflect.deleteProperty(globalThis, name);
}

function fail(error: unknown): void {
  if (responded || !current) return;
  responded = true;
  post("failed", { error: error instanceof Error ? error.message : String(error) });
}

process.on("unhandledRejection", fail);
process.on("uncaughtException", fail);

parentPort!.on("message", (m: Execute) => {
  if (m.type !== "execute") return;
  current = m;
  responded = false;
  try {
    if (!init.reusable) script.runInThisContext();
    else {
      // Evaluated once per worker: the SDK and the workflow's modules are initialized a single time
      // and `main()` runs per execution (CRE runs a fresh WASM instance; see docs/cre.md).
      const g = globalThis as { __creRun?: () => unknown };
      if (!g.__creRun) script.runInThisContext();
      g.__creRun?.();
    }
  } catch (err) {
    fail(err);
  }
  // Host calls are synchronous, so once pending microtasks ran the workflow has finished.
  later(() => {
    if (!responded)
      fail(new Error("the workflow finished without sending a response (is main() exported or called?)"));
  });
});
