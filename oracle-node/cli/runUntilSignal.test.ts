// The node process's safety net, in a real child process (vitest keeps its own handlers in this one):
// a stray rejection is logged and the node keeps running; an uncaught exception closes it and exits 1.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

const CHILD = join(import.meta.dirname, "testing", "safetyNetChild.ts");

function run(mode: string): {
  child: ChildProcess;
  lines: () => Record<string, unknown>[];
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, mode], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines = () =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, lines, exit };
}

describe("runUntilSignal's process-level handlers", () => {
  it("logs an unhandled rejection at error with its stack and keeps the node running", async () => {
    const { child, lines, exit } = run("rejection");
    try {
      await vi.waitFor(() => expect(lines().some((l) => l.msg === "alive")).toBe(true), { timeout: 30_000 });
      const logged = lines().find((l) => String(l.msg).startsWith("unhandled promise rejection"))!;
      expect(logged.level).toBe("error");
      expect(String((logged.err as { stack: string }).stack)).toContain("stray rejection");
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exit).toBe(0);
    expect(lines().some((l) => l.msg === "closed")).toBe(true);
  });

  it("on an uncaught exception closes the node and exits 1", async () => {
    const { lines, exit } = run("exception");
    expect(await exit).toBe(1);
    const fatal = lines().find((l) => String(l.msg).startsWith("uncaught exception"))!;
    expect(fatal.level).toBe("fatal");
    expect(lines().some((l) => l.msg === "closed")).toBe(true);
  });
});
