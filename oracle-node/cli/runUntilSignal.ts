import type { VigilNode } from "../node";

/**
 * Starts the node and keeps the process alive until SIGINT or SIGTERM, then closes the node
 * (modules in reverse order). A second signal while closing exits at once.
 */
export async function runUntilSignal(start: () => Promise<VigilNode>): Promise<void> {
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
  });
}
