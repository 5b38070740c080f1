// Test fixture for processes.test.ts: a supervisor (as the devnet is) that starts one child,
// prints its pid, and waits to be killed.
import { join } from "node:path";
import { ProcessSupervisor } from "../processes";

const [logFile] = process.argv.slice(2);
const supervisor = new ProcessSupervisor(() => {});
const child = supervisor.spawnTs("orphan-child", join(import.meta.dirname, "orphanChild.ts"), [], logFile!);
console.log(child.child.pid);
setInterval(() => {}, 1_000);
