// Runs `runUntilSignal` with a stand-in node that logs JSON lines to stdout, then misbehaves as argv
// says: "rejection" leaves a promise rejection unhandled and says "alive" after it; "exception"
// throws from a timer.
import { createLogger } from "../../logger";
import { runUntilSignal } from "../runUntilSignal";

// The node's own logger (the format operators see), to stdout.
const logger = createLogger({ level: "info" });
const mode = process.argv[2];
await runUntilSignal(async () => {
  // A real node's sockets keep the event loop alive; this stands in for them until close.
  const alive = setInterval(() => {}, 1_000);
  setTimeout(() => {
    if (mode === "rejection") {
      void Promise.reject(new Error("stray rejection"));
      setTimeout(() => logger.info("alive"), 200);
    } else {
      throw new Error("stray exception");
    }
  }, 100);
  return {
    logger,
    close: async () => {
      clearInterval(alive);
      logger.info("closed");
    },
  } as never;
});
