import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface Anvil {
  rpcUrl: string;
  port: number;
  chainId: number;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  chainId?: number;
  /** Extra command-line flags, e.g. ["--block-time", "1"]. */
  args?: string[];
}

/**
 * Path of the anvil binary shipped by the `@foundry-rs/anvil-<os>-<arch>` npm package. Spawning it
 * directly (not the package's node wrapper) means a signal reaches anvil itself.
 */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}/package.json`;
  return join(dirname(require.resolve(pkg)), "bin", "anvil");
}

/**
 * Starts a real anvil on a free loopback port and resolves once it listens. Tests own the
 * process: call `stop()` in `afterAll`.
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const chainId = options.chainId ?? 31337;
  const child = spawn(
    anvilBinary(),
    ["--host", "127.0.0.1", "--port", "0", "--chain-id", String(chainId), ...(options.args ?? [])],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        child.stdout?.off("data", onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) =>
      reject(new Error(`anvil exited with code ${code} before listening:\n${output}`)),
    );
  });
  // Keep draining output so a chatty anvil never blocks on a full pipe.
  child.stdout?.resume();
  return { rpcUrl: `http://127.0.0.1:${port}`, port, chainId, stop: () => stopProcess(child) };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
