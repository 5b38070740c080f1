// Test fixture for processes.test.ts: a stand-in oracle node that runs until a signal (or until
// its supervisor's IPC channel closes), as `vigil node start` does.
import { pino } from "pino";
import { runUntilSignal } from "../../../oracle-node/cli/runUntilSignal";

const alive = setInterval(() => {}, 1_000);
await runUntilSignal(async () => ({
  logger: pino({ level: "silent" }),
  close: async () => clearInterval(alive),
}));
