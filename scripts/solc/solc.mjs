#!/usr/bin/env node
// A stand-in for the native `solc` binary that forge would normally download (it cannot be
// downloaded here). It wraps the npm `solc` package (solc-js) and answers the two calls forge
// makes: `--version` and `--standard-json` (input on stdin, output on stdout), resolving imports
// against `--base-path` and every `--include-path` as native solc does.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, resolve } from "node:path";

const require = createRequire(import.meta.url);
const solc = require("solc");
const args = process.argv.slice(2);

if (args.includes("--version")) {
  // forge parses the line that starts with "Version:".
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write(
    `solc shim: only --version and --standard-json are supported (got: ${args.join(" ")})\n`,
  );
  process.exit(2);
}

const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--base-path" || args[i] === "--include-path") roots.push(args[++i]);
}
if (roots.length === 0) roots.push(process.cwd());

function findImports(path) {
  const candidates = isAbsolute(path) ? [path] : roots.map((root) => resolve(root, path));
  for (const candidate of candidates) {
    try {
      return { contents: readFileSync(candidate, "utf8") };
    } catch {
      // try the next root
    }
  }
  return { error: `File not found in ${roots.join(", ")}: ${path}` };
}

const input = readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
