import { describe, expect, it } from "vitest";
import { type StartupWatch, waitForStartup } from "./waitForStartup";

/** A starting process whose progress mark moves on each poll while `working`, and is up from `readyAt` ms. */
function starting(opts: { working: boolean; readyAt?: number; exitAt?: number }) {
  const began = Date.now();
  let ticks = 0;
  const proc: StartupWatch = {
    name: "oracle node 1",
    logFile: "/tmp/node-1.log",
    alive: () => opts.exitAt === undefined || Date.now() - began < opts.exitAt,
    progress: () => String(opts.working ? ticks++ : 0),
  };
  const ready = async () => opts.readyAt !== undefined && Date.now() - began >= opts.readyAt;
  return { proc, ready };
}

const timeouts = { stallMs: 100, timeoutMs: 2_000, pollMs: 10 };

describe("waitForStartup", () => {
  it("waits past the stall window for a slow start that keeps making progress", async () => {
    const { proc, ready } = starting({ working: true, readyAt: 400 });
    await expect(waitForStartup(proc, ready, timeouts)).resolves.toBe(true);
  });

  it("gives up on a process that made no progress for the stall window", async () => {
    const { proc, ready } = starting({ working: false });
    await expect(waitForStartup(proc, ready, timeouts)).rejects.toMatchObject({
      code: "STARTUP_STALLED",
      message: expect.stringMatching(/oracle node 1 is not up and made no progress .*\/tmp\/node-1\.log/),
    });
  });

  it("gives up after the startup timeout even on a process that keeps working", async () => {
    const { proc, ready } = starting({ working: true });
    await expect(waitForStartup(proc, ready, { ...timeouts, timeoutMs: 300 })).rejects.toMatchObject({
      code: "STARTUP_STALLED",
      message: expect.stringMatching(/not up after 0 s \(--startup-timeout\)/),
    });
  });

  it("returns false for a process that exited, leaving the verdict to the supervisor", async () => {
    const { proc, ready } = starting({ working: true, exitAt: 50 });
    await expect(waitForStartup(proc, ready, timeouts)).resolves.toBe(false);
  });
});
