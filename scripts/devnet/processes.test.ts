import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Running, and not a zombie waiting for a reaper (which `kill(pid, 0)` alone would count). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

describe("devnet process supervisor", () => {
  it("a child outlives no supervisor: kill -9 the supervisor and the child stops by itself", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "vigil-orphan-")), "child.log");
    const parent = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "testing/orphanParent.ts"), log],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const childPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
      parent.once("exit", (code) => reject(new Error(`supervisor exited early (${code})`)));
    });
    expect(childPid).toBeGreaterThan(0);
    // Give the child time to start its tsx loader and install its handlers.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(running(childPid)).toBe(true);
    parent.kill("SIGKILL");
    const deadline = Date.now() + 20_000;
    while (running(childPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const orphaned = running(childPid);
    if (orphaned) process.kill(childPid, "SIGKILL");
    expect(orphaned).toBe(false);
  });
});
