// `npx vigil` as an operator runs it: npm's npx, the launcher (bin/vigil.mjs) and the bundle that
// `npm install` builds (dist/vigil.mjs), as separate processes with real files and real signals.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import { buildCli } from "../../scripts/cli/buildCli";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { type Deployed, deployChainFixture } from "./chainFixture";

const ROOT = join(import.meta.dirname, "..", "..");

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code, or the signal that ended the process. */
  exit: Promise<number | NodeJS.Signals | null>;
}

/** `npx vigil` runs the bundle; `npm run vigil --` the sources (tsx): both as an operator types them. */
type Runner = "npx vigil" | "npm run vigil --";

function vigil(runner: Runner, args: string[], env: Record<string, string> = {}): Run {
  const [command, ...prefix] =
    runner === "npx vigil" ? ["npx", "vigil"] : ["npm", "run", "-s", "vigil", "--"];
  const child = spawn(command!, [...prefix, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on("data", (b: Buffer) => {
    err += b.toString();
  });
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal)),
  );
  // Other engineers edit sources while the tests run: the launcher's "changed after dist/vigil.mjs was
  // built" notice is about the checkout, not about what is tested here.
  const stderr = () => err.replace(/^warning: \S+ changed after dist\/vigil\.mjs was built.*\n/gm, "");
  return { child, stdout: () => out, stderr, exit };
}

const npxVigil = (args: string[], env?: Record<string, string>) => vigil("npx vigil", args, env);

/** Processes (other than this one) whose command line names `needle`: the node, if it outlived npm. */
function processesNaming(needle: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue; // exited while we listed
    }
    if (cmdline.includes(needle)) found.push(Number(pid));
  }
  return found;
}

let anvil: Anvil;
let chain: Deployed;

beforeAll(async () => {
  // The bundle from the sources under test, as `npm install` (prepare) builds it.
  await buildCli();
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
  await chain.registerNetwork({ epochLength: 60, k: 1 });
}, 60_000);
afterAll(async () => {
  await anvil?.stop();
});

describe("npx vigil", () => {
  it("--version prints package.json's version, nothing else", async () => {
    const run = npxVigil(["--version"]);
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe(`${packageJson.version}\n`);
    expect(run.stderr()).toBe("");
  });

  it.each<Runner>(["npx vigil", "npm run vigil --"])(
    "%s node start: JSON logs from the first line, private files, and SIGTERM to npm stops the node",
    async (runner) => {
      const dir = mkdtempSync(join(tmpdir(), "vigil-npx-"));
      const init = npxVigil([
        "node",
        "init",
        "--dir",
        dir,
        "--networks",
        "1",
        "--rpc-url",
        anvil.rpcUrl,
        "--insecure-plaintext-keys",
      ]);
      expect(await init.exit, init.stderr()).toBe(0);

      const node = vigil(runner, ["node", "start", "-c", join(dir, "node.toml")], {
        VIGIL_CHAIN_SETTLEMENT: chain.settlement,
        VIGIL_CHAIN_REGISTRY: chain.registry,
        VIGIL_CHAIN_FORWARDER: chain.forwarder,
        VIGIL_CHAIN_TOKEN: chain.token,
        VIGIL_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
        VIGIL_API_PORT: "0",
      });
      let url: string | undefined;
      try {
        url = await vi.waitFor(
          () => {
            if (node.child.exitCode !== null)
              throw new Error(`node exited:\n${node.stdout()}${node.stderr()}`);
            const found = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(node.stdout())?.[1];
            if (!found) throw new Error("no API url logged yet");
            return found;
          },
          { timeout: 30_000, interval: 100 },
        );
        expect((await fetch(`${url}/health`)).status).toBe(200);

        // Every line is JSON with a level name and an ISO time; nothing on stderr (no SQLite warning).
        const lines = node
          .stdout()
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { level: unknown; time: unknown });
        for (const line of lines) {
          expect(line.level).toMatch(/^(trace|debug|info|warn|error|fatal)$/);
          expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        }
        expect(node.stderr()).toBe("");
        expect(processesNaming(dir)).toHaveLength(3); // npm, its sh -c, the node

        const data = join(dir, "data");
        expect(statSync(data).mode & 0o777).toBe(0o700);
        for (const file of ["vigil.sqlite", "vigil.sqlite-wal", "vigil.sqlite-shm", "peer.key", "eth.key"])
          expect(statSync(join(data, file)).mode & 0o777, file).toBe(0o600);
      } finally {
        node.child.kill("SIGTERM");
      }
      // npm ends at once (it passes the signal to its `sh -c`, which dies of it, and re-raises it);
      // the node under them notices its parent is gone and shuts down cleanly.
      expect(await node.exit).toBe("SIGTERM");
      await vi.waitFor(
        () => {
          expect(node.stdout()).toMatch(/"msg":"node stopped"/);
          expect(processesNaming(dir)).toEqual([]);
        },
        { timeout: 15_000, interval: 100 },
      );
      expect(node.stdout()).toMatch(/"msg":"shutting down"/);
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    },
  );

  it("device run logs in the node's format: JSON lines, level names, ISO times", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-npx-device-"));
    const config = join(dir, "device.toml");
    writeFileSync(
      config,
      [
        `secret_key = "${"05".repeat(32)}"`,
        `owner = "0x${"11".repeat(20)}"`,
        'nodes = ["http://127.0.0.1:1"]', // nobody there: the agent says so and goes on
        'log_level = "info"',
      ].join("\n"),
    );
    const run = npxVigil(["device", "run", "--config", config, "--duration-ms", "300"]);
    expect(await run.exit, run.stderr()).toBe(0);
    expect(run.stderr()).toBe("");
    const lines = run
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { level: unknown; time: unknown; module: unknown; msg: unknown });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(["device agent started", "device agent stopped"]),
    );
    for (const line of lines) {
      expect(line).toMatchObject({ module: "device" });
      expect(line.level).toMatch(/^(trace|debug|info|warn|error|fatal)$/);
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it("workflow simulate bundles a workflow and runs it in a worker from the bundle", async () => {
    const run = npxVigil([
      "workflow",
      "simulate",
      join(ROOT, "workflows", "epoch-settlement"),
      "--rpc-url",
      anvil.rpcUrl,
    ]);
    await run.exit;
    // The workflow ran (its first EVM read answered by the chain): the bundler and the worker runtime,
    // files found beside the sources, resolved from dist/.
    expect(run.stdout() + run.stderr()).toMatch(/workflow vigil-epoch-settlement \(id 0x[0-9a-f]{64}\)/);
    expect(run.stdout() + run.stderr()).toMatch(/execution 0x[0-9a-f]{64} took \d+ ms/);
  });
});
