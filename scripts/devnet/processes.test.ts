import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ProcessExit, ProcessSupervisor } from "./processes";

/** Running, and not a zombie waiting for a reaper (which `kill(pid, 0)` alone would count). */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

describe("devnet process supervisor", () => {
  it("tolerates up to the allowed exits in a group (f oracle nodes), reports one more as fatal", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vigil-supervisor-"));
    const exits: ProcessExit[] = [];
    const supervisor = new ProcessSupervisor((exit) => exits.push(exit), { "oracle nodes": 1 });
    const child = join(import.meta.dirname, "testing/orphanChild.ts");
    const nodes = [0, 1, 2, 3].map((i) =>
      supervisor.spawnTs(`oracle node ${i}`, child, [], join(dir, `node-${i}.log`), {
        group: "oracle nodes",
      }),
    );
    const fleet = supervisor.spawnTs("device fleet", child, [], join(dir, "fleet.log"));
    try {
      nodes[2]!.child.kill("SIGKILL");
      await expect.poll(() => exits.length, { timeout: 10_000 }).toBe(1);
      expect(exits[0]).toMatchObject({
        name: "oracle node 2",
        group: "oracle nodes",
        signal: "SIGKILL",
        down: 1,
        allowed: 1,
        fatal: false,
      });
      expect(exits[0]!.error.code).toBe("PROCESS_EXITED");
      expect(nodes[2]!.alive()).toBe(false);
      expect(nodes[0]!.alive()).toBe(true);

      nodes[0]!.child.kill("SIGKILL");
      await expect.poll(() => exits.length, { timeout: 10_000 }).toBe(2);
      expect(exits[1]).toMatchObject({ name: "oracle node 0", down: 2, allowed: 1, fatal: true });
      expect(exits[1]!.error.message).toMatch(/2 oracle nodes down, more than the 1 allowed/);

      // A process in no group (the fleet) may not die at all.
      fleet.child.kill("SIGKILL");
      await expect.poll(() => exits.length, { timeout: 10_000 }).toBe(3);
      expect(exits[2]).toMatchObject({
        name: "device fleet",
        group: undefined,
        down: 1,
        allowed: 0,
        fatal: true,
      });
    } finally {
      await supervisor.stopAll();
    }
    // Stopping is asked for: the nodes still running are stopped without a report.
    expect(exits).toHaveLength(3);
    expect(nodes.every((n) => !n.alive())).toBe(true);
  }, 60_000);

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
