import type { VigilNode } from "../node";

/**
 * Starts the node and keeps the process alive until SIGINT or SIGTERM, then closes the node
 * (modules in reverse order). A second signal while closing exits at once. A process started with
 * an IPC channel also stops when the channel closes (its parent is gone).
 *
 * Process-level safety net. A rejected promise nobody handled is a bug, but not a fatal one: the
 * node's state is intact (the rejection is the only thing lost), so it is logged at error with its
 * stack and the node keeps running (Node's default would exit, and one stray rejection in a gossip
 * handler would take down every node that received the message). An uncaught exception is fatal:
 * it unwound a stack mid-update, so the node is closed (its store stays consistent: SQLite
 * transactions) and the process exits 1 for its supervisor to restart it.
 */
export async function runUntilSignal(
  start: () => Promise<Pick<VigilNode, "logger" | "close">>,
): Promise<void> {
  const node = await start();
  const onRejection = (reason: unknown) =>
    node.logger.error({ err: reason }, "unhandled promise rejection (a bug); the node keeps running");
  const onException = (err: Error) => {
    node.logger.fatal({ err }, "uncaught exception: closing the node and exiting 1");
    setTimeout(() => process.exit(1), 10_000).unref();
    node
      .close()
      .catch((closeErr: unknown) => node.logger.error({ err: closeErr }, "shutdown failed"))
      .finally(() => process.exit(1));
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      node.logger.info({ signal }, "shutting down");
      node
        .close()
        .catch((err: unknown) => node.logger.error({ err }, "shutdown failed"))
        .finally(() => {
          // Closed: nothing should keep the process alive now. A handle something forgot to close
          // must not leave a stopped node running with no one to stop it again (seen once here: a
          // node SIGTERMed after its test's anvil had stopped closed, and its process stayed).
          setTimeout(() => {
            node.logger.warn("still running 5 s after the node stopped (a handle left open); exiting");
            process.exit(process.exitCode ?? 0);
          }, 5_000).unref();
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          process.off("unhandledRejection", onRejection);
          process.off("uncaughtException", onException);
          resolve();
        });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // Started by a supervisor over IPC (the devnet): if it dies without stopping us (kill -9, a
    // killed terminal), the channel closes and this node shuts down instead of living on orphaned,
    // its logs going nowhere. A shutdown that hangs then still ends the process.
    if (process.channel) {
      process.channel.unref();
      process.once("disconnect", () => {
        setTimeout(() => process.exit(1), 10_000).unref();
        onSignal("SIGTERM");
      });
    }
  });
}
