#!/usr/bin/env node
// Runs the project's forge binary (the `@foundry-rs/forge-<os>-<arch>` npm package) with the given
// arguments and exits with forge's own exit code. The package's `forge` wrapper (node_modules/.bin)
// never passes the child's exit code on: `forge test` with a failing test exited 0 through it, so
// `npm test` went on green. Every npm script runs forge through this file instead.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const arch = process.arch === "x64" ? "amd64" : process.arch;
const binary = join(
  dirname(require.resolve(`@foundry-rs/forge-${process.platform}-${arch}/package.json`)),
  "bin",
  "forge",
);
const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("error", (err) => {
  console.error(`error: cannot run forge (${binary}): ${err.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
