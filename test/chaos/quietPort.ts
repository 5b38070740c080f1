import { createServer } from "node:net";

/**
 * Linux hands out ports from 32768 up (`ip_local_port_range`) to every `listen(0)` and outgoing
 * connection on the machine. A node restarted after kill -9 binds its ports again: one from that range
 * may meanwhile be another process's (seen: EADDRINUSE at start with a concurrent test run). Below it,
 * only a fixed choice like this one competes.
 */
const LOW = 20_000;
const HIGH = 32_768;
const taken = new Set<number>();

/** A loopback TCP port below the ephemeral range, free now and not handed out before by this process. */
export async function quietPort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (taken.has(port) || !(await canListen(port))) continue;
    taken.add(port);
    return port;
  }
  throw new Error(`no free loopback port in ${LOW}-${HIGH - 1} after 100 tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
