import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { DevnetError } from "./errors";
import { processProgress } from "./processProgress";
import type { StartupWatch } from "./waitForStartup";

export interface SupervisedProcess extends StartupWatch {
  /** Processes of one group share how many of them may be down (see `ProcessSupervisor`). */
  group: string | undefined;
  child: ChildProcess;
  /** Resolves when the process has exited (for whatever reason). */
  exited: Promise<number | null>;
}

/** An exit the supervisor did not ask for, and what it means for the devnet. */
export interface ProcessExit {
  name: string;
  group: string | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  logFile: string;
  /** Processes of the group that have exited unasked, this one included (1 for a process in no group). */
  down: number;
  /** How many of the group may be down while the devnet goes on (0 for a process in no group). */
  allowed: number;
  /** More are down than allowed: the devnet cannot go on. */
  fatal: boolean;
  error: DevnetError;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** The group whose tolerance applies (`allowedDown`); in none, any exit is fatal. */
  group?: string;
}

/**
 * Starts and stops the devnet's child processes (oracle nodes, the device fleet). Each writes its
 * output to a log file in the data dir. An exit it did not ask for goes to `onUnexpectedExit`, which
 * says whether the devnet can go on: up to `allowedDown[group]` processes of a group may be down
 * (the f of n = 3f + 1 oracle nodes); one more, or any process in no group, is fatal, so the
 * devnet stops with the reason instead of hanging on a dead process.
 */
export class ProcessSupervisor {
  private readonly procs: SupervisedProcess[] = [];
  /** Unasked exits per group so far. */
  private readonly down = new Map<string, number>();
  private stopping = false;

  constructor(
    private readonly onUnexpectedExit: (exit: ProcessExit) => void,
    private readonly allowedDown: Readonly<Record<string, number>> = {},
  ) {}

  /** Runs a TypeScript entry point on this Node (22, via npm/npx) with tsx's loader. */
  spawnTs(name: string, entry: string, args: string[], logFile: string, options: SpawnOptions = {}) {
    return this.spawn(name, process.execPath, ["--import", "tsx", entry, ...args], logFile, options);
  }

  spawn(
    name: string,
    command: string,
    args: string[],
    logFile: string,
    options: SpawnOptions = {},
  ): SupervisedProcess {
    const out: WriteStream = createWriteStream(logFile, { flags: "a" });
    const child = spawn(command, args, {
      // The IPC channel closes when this process dies, however it dies: children watch it and stop
      // (oracle-node/cli/runUntilSignal.ts) rather than run on orphaned.
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, ...options.env },
    });
    // Two sources share one file: neither may end it (the default), or the other's next chunk is a
    // "write after end"; it is ended on `close`, once both are drained.
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    let closed = false;
    const { group } = options;
    const exited = new Promise<number | null>((resolve) => {
      // `close`, not `exit`: only then has the child's output been drained into the log file.
      child.once("close", (code, signal) => {
        out.end();
        closed = true;
        if (!this.stopping) this.onUnexpectedExit(this.exit(name, group, code, signal, logFile));
        resolve(code);
      });
    });
    const proc: SupervisedProcess = {
      name,
      group,
      logFile,
      child,
      exited,
      // Dead only once `onUnexpectedExit` has judged the exit: whoever sees it dead sees the verdict too.
      alive: () => !closed,
      progress: () => processProgress(child.pid, logFile),
    };
    this.procs.push(proc);
    return proc;
  }

  private exit(
    name: string,
    group: string | undefined,
    code: number | null,
    signal: NodeJS.Signals | null,
    logFile: string,
  ): ProcessExit {
    const down = group === undefined ? 1 : (this.down.get(group) ?? 0) + 1;
    if (group !== undefined) this.down.set(group, down);
    const allowed = group === undefined ? 0 : (this.allowedDown[group] ?? 0);
    const fatal = down > allowed;
    const what = `${name} exited (code ${code}, signal ${signal}); see ${logFile}`;
    const message =
      fatal && group !== undefined
        ? `${what}; ${down} ${group} down, more than the ${allowed} allowed`
        : what;
    const error = new DevnetError("PROCESS_EXITED", message, { name, group, logFile, down, allowed });
    return { name, group, code, signal, logFile, down, allowed, fatal, error };
  }

  /**
   * Stops everything in reverse start order, one at a time (SIGTERM, then SIGKILL after `graceMs`),
   * so the fleet is gone before the nodes it talks to, and the nodes before nothing else.
   */
  async stopAll(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    const alive = this.procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of alive.slice().reverse()) {
      p.child.kill("SIGTERM");
      await Promise.race([
        p.exited,
        new Promise<void>((resolve) =>
          setTimeout(() => {
            p.child.kill("SIGKILL");
            resolve();
          }, graceMs).unref(),
        ),
      ]);
    }
  }
}
