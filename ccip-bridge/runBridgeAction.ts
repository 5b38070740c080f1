import type { Command } from "commander";
import { BridgeError } from "./errors.js";

/** Wraps an action so a `BridgeError` ends the command with its short message and code, not a stack. */
export function runBridgeAction<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  return async function (this: Command, ...args: A): Promise<void> {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof BridgeError) {
        this.error(`${error.shortMessage} [${error.code}]${error.details ? `\n${error.details}` : ""}`, {
          code: `bridge.${error.code}`,
          exitCode: 1,
        });
      }
      throw error;
    }
  };
}
