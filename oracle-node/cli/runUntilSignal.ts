import type { VigilNode } from "../node";

/**
 * Starts the node and keeps the process alive until SIGINT or SIGTERM, then closes the node
 * (modules in reverse order). A second signal while closing exits at once. A process started with
 * an IPC channel also stops when the channel closes (its parent is gone).
 */
export async function runUntilSignal(
  start: () => Promise<Pick<VigilNode, "logger" | "close">>,
): Promise<void> {
  const node = await start();
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
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
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
