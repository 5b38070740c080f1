import { setTimeout as sleep } from "node:timers/promises";
import { DevnetError } from "./errors";

/** What a startup wait needs to know about a starting process (a `SupervisedProcess` is one). */
export interface StartupWatch {
  name: string;
  logFile: string;
  /** False once the process has exited. */
  alive(): boolean;
  /** Changes while the process works (`processProgress`). */
  progress(): string;
}

export interface StartupTimeouts {
  /** Longest time with no progress at all before the process counts as stuck. */
  stallMs: number;
  /** Longest time to wait in all, progress or not (`--startup-timeout`). */
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Waits until `ready()` says the process is up, for as long as it keeps making progress: a busy
 * machine makes a start slow, not wrong. Resolves true once ready, false if the process exited first
 * (whether that is fatal is the supervisor's call); throws `STARTUP_STALLED` when it made no progress
 * for `stallMs` or was not ready within `timeoutMs`.
 */
export async function waitForStartup(
  proc: StartupWatch,
  ready: () => Promise<boolean>,
  timeouts: StartupTimeouts,
): Promise<boolean> {
  const started = Date.now();
  let mark = proc.progress();
  let lastProgress = started;
  for (;;) {
    timeouts.signal?.throwIfAborted();
    if (!proc.alive()) return false;
    if (await ready()) return true;
    const now = Date.now();
    const next = proc.progress();
    if (next !== mark) {
      mark = next;
      lastProgress = now;
    }
    if (now - lastProgress >= timeouts.stallMs)
      throw new DevnetError(
        "STARTUP_STALLED",
        `${proc.name} is not up and made no progress (no output, no CPU time) for ${Math.round(timeouts.stallMs / 1000)} s; see ${proc.logFile}`,
        { name: proc.name, logFile: proc.logFile },
      );
    if (now - started >= timeouts.timeoutMs)
      throw new DevnetError(
        "STARTUP_STALLED",
        `${proc.name} is not up after ${Math.round(timeouts.timeoutMs / 1000)} s (--startup-timeout); see ${proc.logFile}`,
        { name: proc.name, logFile: proc.logFile },
      );
    await sleep(timeouts.pollMs ?? 250);
  }
}
