// Imported first by scripts/vigil.ts: Node 22 prints "ExperimentalWarning: SQLite is an experimental
// feature" to stderr when node:sqlite loads (the node's store), the first line an operator sees, and
// not JSON. Only that warning is dropped; every other warning is printed as Node prints it. Node
// emits warnings on the next tick, so a listener installed while the module graph loads still
// sees it.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name === "ExperimentalWarning" && /\bSQLite\b/.test(warning.message)) return;
  process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
});
