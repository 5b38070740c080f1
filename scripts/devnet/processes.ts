import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { DevnetError } from "./errors";

export interface SupervisedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves when the process has exited (for whatever reason). */
  exited: Promise<number | null>;
}

/**
 * Starts and stops the devnet's child processes (oracle nodes). Each writes its output to a log file
 * in the data dir; an unexpected exit is reported through `onUnexpectedExit` so the devnet can stop
 * with the reason instead of hanging on a dead node.
 */
export class ProcessSupervisor {
  private readonly procs: SupervisedProcess[] = [];
  private stopping = false;

  constructor(private readonly onUnexpectedExit: (error: DevnetError) => void) {}

  /** Runs a TypeScript entry point on this Node (22, via npm/npx) with tsx's loader. */
  spawnTs(name: string, entry: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}) {
    return this.spawn(name, process.execPath, ["--import", "tsx", entry, ...args], logFile, env);
  }

  spawn(name: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}) {
    const out: WriteStream = createWriteStream(logFile, { flags: "a" });
    const child = spawn(command, args, {
      // The IPC channel closes when this process dies, however it dies: children watch it and stop
      // (oracle-node/cli/runUntilSignal.ts) rather than run on orphaned.
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, ...env },
    });
    // Two sources share one file: neither may end it (the default), or the other's next chunk is a
    // "write after end"; it is ended on `close`, once both are drained.
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    const exited = new Promise<number | null>((resolve) => {
      // `close`, not `exit`: only then has the child's output been drained into the log file.
      child.once("close", (code, signal) => {
        out.end();
        if (!this.stopping) {
          this.onUnexpectedExit(
            new DevnetError(
              "PROCESS_EXITED",
              `${name} exited (code ${code}, signal ${signal}); see ${logFile}`,
              {
                name,
                logFile,
              },
            ),
          );
        }
        resolve(code);
      });
    });
    const proc = { name, child, exited };
    this.procs.push(proc);
    return proc;
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
