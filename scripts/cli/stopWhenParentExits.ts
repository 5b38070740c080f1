// Imported by scripts/vigil.ts. Started by npx or an npm script, vigil runs under npm's `sh -c`,
// which does not pass signals on: a SIGTERM to npm reaches only that shell, which dies of it and
// leaves vigil running, orphaned. So under npm, when that parent goes away, vigil stops as if it had
// got the SIGTERM itself (a node shuts down cleanly). Not otherwise: a shell that started
// `nohup vigil … &` and then exited must not stop it. (The devnet's nodes, run from `npm start`, stop
// with their supervisor too, as they do when its IPC channel closes.)
if (process.env.npm_command) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, "SIGTERM");
  }, 250);
  watch.unref();
}
