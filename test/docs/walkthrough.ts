// Runs the shell walkthrough a page documents, exactly as written: every fenced block whose info
// string is `sh walkthrough`, in order, as one bash script. The page is the test's only input, so the
// docs cannot drift from what works.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The info string that marks a block as part of the walkthrough (`sh` first, so it renders as shell). */
export const WALKTHROUGH_INFO = "sh walkthrough";

/** The walkthrough blocks of a markdown page, in order; an unterminated block is an error. */
export function extractWalkthrough(markdown: string): string[] {
  const blocks: string[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const [, indent = "", fence = "```", info = ""] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if ((lines[j] ?? "").trim() === fence) break;
      body.push((lines[j] ?? "").slice(indent.length));
    }
    if (j === lines.length) throw new Error(`unterminated code block at line ${i + 1}`);
    if (info.trim() === WALKTHROUGH_INFO) blocks.push(body.join("\n"));
    i = j;
  }
  return blocks;
}

export interface WalkthroughRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  wallMs: number;
}

/**
 * Runs the blocks as `bash -euo pipefail` from `cwd` with HOME set to a fresh folder. With `isolate`
 * the script runs in a new network namespace (root only) with only loopback up, so the page's fixed
 * ports (8545, 8080, …) cannot collide with anything else on the machine. The script runs in its own
 * process group; everything it left running (nodes, devices, anvil) is killed when it exits.
 */
export async function runWalkthrough(
  blocks: readonly string[],
  o: { cwd: string; isolate: boolean; timeoutMs: number; env?: Record<string, string> },
): Promise<WalkthroughRun> {
  const home = mkdtempSync(join(tmpdir(), "vigil-walkthrough-"));
  const script = join(home, "walkthrough.sh");
  writeFileSync(script, ["set -euo pipefail", ...blocks].join("\n\n"));
  const [cmd, args] = o.isolate
    ? ["unshare", ["--net", "bash", "-c", `ip link set lo up && exec bash ${JSON.stringify(script)}`]]
    : ["bash", [script]];
  const started = Date.now();
  const child: ChildProcess = spawn(cmd as string, args as string[], {
    cwd: o.cwd,
    detached: true,
    env: { ...process.env, ...o.env, HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  };
  const timer = setTimeout(() => killGroup("SIGKILL"), o.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  const wallMs = Date.now() - started;
  // The script's background processes (nodes, devices, anvil) are still in its group.
  killGroup("SIGTERM");
  const deadline = Date.now() + 10_000;
  while (groupAlive(child.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  killGroup("SIGKILL");
  return { code, signal, output, wallMs };
}

function groupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const readPage = (path: string) => readFileSync(path, "utf8");
