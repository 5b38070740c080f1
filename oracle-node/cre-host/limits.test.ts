import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleWorkflow, type WorkflowBundle } from "./bundle";
import { httpActions } from "./capabilities/http";
import { CreHostError } from "./errors";
import { type CreHost, createCreHost } from "./host";
import { createCreHostMetrics } from "./metrics";
import { type CreLimits, noLimits, simulatorLimits } from "./options";
import { createInProcessDon } from "./transport";

const KEY = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba" as const;

describe("CRE host limits, secrets and missing capabilities (one-node DON)", () => {
  let bundle: WorkflowBundle;
  let host: CreHost;
  const hostLines: string[] = [];
  const registry = new Registry();

  beforeAll(async () => {
    bundle = await bundleWorkflow(
      new URL("../../workflows/examples/host-checks/main.ts", import.meta.url).pathname,
    );
    const signer = privateKeyToAccount(KEY);
    host = await createCreHost({
      bundle,
      config: new TextEncoder().encode(JSON.stringify({ label: "node-0" })),
      workflow: { name: "host-checks", owner: "0x3333333333333333333333333333333333333333" },
      don: { id: 1, configVersion: 1, members: [signer.address], f: 0, transport: createInProcessDon(1)[0]! },
      signer,
      capabilities: [httpActions({ maxResponseBytes: 1_000, timeoutMs: 5_000 })],
      secrets: (id, namespace) => (id === "API_KEY" && namespace === "main" ? "s3cret" : undefined),
      limits: { executionTimeoutMs: 1_500 },
      log: ({ message }) => hostLines.push(message),
      metrics: createCreHostMetrics(registry),
    });
  });
  afterAll(() => host?.stop());

  const run = (which: string) => host.fireHttp(new TextEncoder().encode(JSON.stringify({ case: which })));

  it("runs an execution and collects its logs", async () => {
    const out = await run("echo");
    expect(out).toMatchObject({ ok: true, value: "hello from node-0", logs: ["case echo for node-0"] });
    expect(hostLines).toContain("case echo for node-0");
    const executions = await registry.getSingleMetric("vigil_cre_executions_total")!.get();
    expect(executions.values).toContainEqual(
      expect.objectContaining({ value: 1, labels: { workflow: "host-checks", outcome: "ok" } }),
    );
  });

  it("serves secrets from the node and reports a missing one as an error", async () => {
    expect(await run("secret")).toMatchObject({ ok: true, value: "s3cret" });
    const missing = await run("missing-secret");
    expect(missing.ok).toBe(false);
    expect(missing.error).toMatch(/NOPE.*secret not found on this node/s);
  });

  it("answers an unknown capability with the SDK's not-found error, without hanging", async () => {
    const out = await run("unknown-capability");
    const calls = await registry.getSingleMetric("vigil_cre_capability_calls_total")!.get();
    expect(calls.values).toContainEqual(
      expect.objectContaining({
        value: 1,
        labels: expect.objectContaining({ outcome: "not_found", method: "HeaderByNumber" }),
      }),
    );
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/Capability 'evm:ChainSelector:5009297550715157269@1\.0\.0' not found/);
    expect(out.durationMs).toBeLessThan(1_000);
  });

  it("ends an execution that exceeds its time limit, then runs the next one on a fresh worker", async () => {
    const out = await run("busy-loop");
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/exceeded its 1500 ms limit/);
    expect(await run("echo")).toMatchObject({ ok: true, value: "hello from node-0" });
  });

  it("fetches over HTTP in node mode and refuses a response over the HTTP size limit", async () => {
    const server = createServer((req, res) => res.end(req.url === "/big" ? "y".repeat(5_000) : "ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const fetchCase = (url: string) =>
        host.fireHttp(new TextEncoder().encode(JSON.stringify({ case: "http", url })));
      expect(await fetchCase(`${base}/small`)).toMatchObject({ ok: true, value: "200" });
      const big = await fetchCase(`${base}/big`);
      expect(big.ok).toBe(false);
      expect(big.error).toMatch(/HTTP response of 5000 bytes exceeds the 1000-byte limit/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("runs executions side by side: a stuck one does not hold up the next", async () => {
    // Run one after the other, the echo would end only after the busy loop's 1500 ms limit killed it:
    // side by side, the echo ends first (an order, not a time: the machine may be loaded).
    const order: string[] = [];
    const stuck = run("busy-loop").then((r) => {
      order.push("stuck");
      return r;
    });
    const echo = run("echo").then((r) => {
      order.push("echo");
      return r;
    });
    expect(await echo).toMatchObject({ ok: true, value: "hello from node-0" });
    expect((await stuck).error).toMatch(/exceeded its 1500 ms limit/);
    expect(order).toEqual(["echo", "stuck"]);
  });

  it("rejects a workflow response over CRE's 100 KB limit", async () => {
    const out = await run("big-response");
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/response of \d+ bytes exceeds the 102400-byte limit/);
  });

  it("rejects a report body over the report size limit", async () => {
    const out = await run("big-report");
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/report body of 6000 bytes exceeds the 5120-byte limit/);
  });

  it("runs the pre-hook and enforces its call and secret restrictions", async () => {
    expect(host.subscriptions.map((s) => s.preHook)).toEqual([false, true]);
    const restricted = (which: string) =>
      host.fireHttp(new TextEncoder().encode(JSON.stringify({ case: which })), { triggerIndex: 1 });
    expect(await restricted("allowed-secret")).toMatchObject({ ok: true, value: "s3cret" });
    const twice = await restricted("consensus-twice");
    expect(twice.ok).toBe(false);
    expect(twice.error).toMatch(/at most 1 calls to consensus@1\.0\.0-alpha Simple/);
    const other = await restricted("other-secret");
    expect(other.ok).toBe(false);
    expect(other.error).toMatch(/not allowed by the pre-hook restrictions/);
  });

  it("refuses a trigger the workflow did not subscribe to, with a typed error", async () => {
    await expect(host.fireCron(new Date())).rejects.toSatisfy(
      (e) => e instanceof CreHostError && e.code === "INVALID_TRIGGER",
    );
  });

  it("fails bundling a workflow that imports a Node built-in, naming it", async () => {
    const dir = await import("node:fs/promises").then((fs) => fs.mkdtemp("/tmp/cre-bad-"));
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      `${dir}/main.ts`,
      'import { readFileSync } from "node:fs";\nexport async function main() { readFileSync("x"); }\n',
    );
    await expect(bundleWorkflow(`${dir}/main.ts`)).rejects.toThrow(/cannot use Node built-ins \("node:fs"\)/);
  });
});

describe("CRE simulation limits on calls, sizes and config", () => {
  let bundle: WorkflowBundle;
  let host: CreHost;
  const signer = privateKeyToAccount(KEY);
  const create = (limits: Partial<CreLimits>, config = JSON.stringify({ label: "node-0" })) =>
    createCreHost({
      bundle,
      config: new TextEncoder().encode(config),
      workflow: { name: "host-checks", owner: "0x3333333333333333333333333333333333333333" },
      don: { id: 1, configVersion: 1, members: [signer.address], f: 0, transport: createInProcessDon(1)[0]! },
      signer,
      capabilities: [httpActions({ maxResponseBytes: 1_000, timeoutMs: 5_000 })],
      secrets: () => "s3cret",
      limits,
    });

  beforeAll(async () => {
    bundle = await bundleWorkflow(
      new URL("../../workflows/examples/host-checks/main.ts", import.meta.url).pathname,
    );
    host = await create({ ...simulatorLimits, maxConsensusCalls: 1, maxHttpCalls: 0, maxSecretsCalls: 0 });
  });
  afterAll(() => host?.stop());

  const fire = (body: object, triggerIndex = 0) =>
    host.fireHttp(new TextEncoder().encode(JSON.stringify(body)), { triggerIndex });

  it("refuses calls over the per-execution call limits, naming the limit", async () => {
    const twice = await fire({ case: "consensus-twice" }, 1);
    expect(twice.error).toMatch(/limit: at most 1 consensus calls per execution \(call 2 refused\)/);
    const http = await fire({ case: "http", url: "http://127.0.0.1:9/" });
    expect(http.error).toMatch(/limit: at most 0 HTTP requests per execution/);
    const secret = await fire({ case: "secret" });
    expect(secret.error).toMatch(/limit: at most 0 secrets requests per execution/);
  });

  it("refuses a config over the config size limit", async () => {
    await expect(create({ maxConfigBytes: 10 })).rejects.toThrow(
      /the workflow config of 18 bytes exceeds the 10-byte limit/,
    );
  });

  it("uses the CRE CLI's simulation numbers (decimal kb/mb), and lifts them all for --limits none", () => {
    expect(simulatorLimits).toMatchObject({
      executionTimeoutMs: 300_000,
      maxResponseBytes: 100_000,
      maxConfigBytes: 1_000_000,
      maxMemoryMb: 96,
      maxWriteReportBytes: 50_000,
      maxChainReads: 15,
      maxChainWrites: 10,
      maxWriteGas: 10_000_000,
      maxHttpCalls: 15,
      maxConsensusCalls: 50,
      maxObservationBytes: 25_000,
      maxSecretsCalls: 5,
    });
    for (const [key, value] of Object.entries(noLimits)) {
      if (key === "consensusTimeoutMs" || key === "maxConcurrentExecutions") continue;
      // The report body is not limited at consensus by `cre` either: only the written report is.
      const atLeast = key === "maxReportBytes" ? "toBeGreaterThanOrEqual" : "toBeGreaterThan";
      expect(value, key)[atLeast]((simulatorLimits as unknown as Record<string, number>)[key]!);
    }
  });
});
