import type { Command } from "commander";
import { describeError } from "./errors";

/** Where a command writes: the process by default, a buffer in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Marks the command failed (exit code 1 for the process). */
  fail(): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  fail: () => {
    process.exitCode = 1;
  },
};

/**
 * Runs a command's action so a failure prints one line (`error: …`, reverts decoded to the custom
 * error) and sets exit code 1, instead of an unhandled rejection with a stack trace.
 */
export function guarded<A extends unknown[]>(io: CliIo, action: (...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    try {
      await action(...args);
    } catch (error) {
      io.err(`error: ${describeError(error)}`);
      io.fail();
    }
  };
}

/** Prints `data` as JSON (bigints as decimal strings) with `--json`, else the human lines. */
export function report(io: CliIo, json: boolean, data: unknown, human: () => string[]): void {
  if (json) io.out(JSON.stringify(data, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else for (const line of human()) io.out(line);
}

/** Sends commander's own messages (usage errors, help) to `io` too, for every subcommand. */
export function routeOutput(command: Command, io: CliIo): Command {
  command.configureOutput({
    writeOut: (text) => io.out(text.replace(/\n$/, "")),
    writeErr: (text) => io.err(text.replace(/\n$/, "")),
  });
  for (const sub of command.commands) routeOutput(sub, io);
  return command;
}
