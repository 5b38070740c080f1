#!/usr/bin/env node
// A stand-in for the native `solc` binary that forge would normally download (it cannot be
// downloaded here). It runs the npm `solc` package's WebAssembly compiler (soljson) and answers
// the two calls forge makes: `--version` and `--standard-json` (input on stdin, output on stdout),
// resolving imports against `--base-path` and every `--include-path` as native solc does.
//
// solc-js's own `compile()` passes the input JSON as a string on the WebAssembly stack (5 MiB),
// which overflows ("memory access out of bounds") once a project's standard-json input passes
// about 1.3 million characters. This shim copies the input to the heap instead, and supplies
// imports solc reports missing (error 6275) by reading them and compiling again; forge normally
// sends every source already, so that loop rarely runs.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, resolve } from "node:path";

const require = createRequire(import.meta.url);
const soljson = require("solc/soljson.js");
const args = process.argv.slice(2);

if (args.includes("--version")) {
  const version = soljson.UTF8ToString(soljson._solidity_version());
  // forge parses the line that starts with "Version:".
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${version}\n`);
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

function readSource(path) {
  const candidates = isAbsolute(path) ? [path] : roots.map((root) => resolve(root, path));
  for (const candidate of candidates) {
    try {
      return readFileSync(candidate, "utf8");
    } catch {
      // try the next root
    }
  }
  return undefined;
}

const solidityCompile = soljson.cwrap("solidity_compile", "number", ["number", "number", "number"]);

function compileOnHeap(json) {
  const size = soljson.lengthBytesUTF8(json) + 1;
  const input = soljson._malloc(size);
  try {
    soljson.stringToUTF8(json, input, size);
    return soljson.UTF8ToString(solidityCompile(input, 0, 0));
  } finally {
    soljson._free(input);
    soljson._solidity_reset();
  }
}

const MISSING_SOURCE = /^Source "([^"]+)" not found/;
const input = JSON.parse(readFileSync(0, "utf8"));
let output;
for (;;) {
  output = compileOnHeap(JSON.stringify(input));
  const missing = (JSON.parse(output).errors ?? [])
    .filter((e) => e.errorCode === "6275")
    .map((e) => MISSING_SOURCE.exec(e.message)?.[1])
    .filter((path) => path && !(path in input.sources));
  const found = missing
    .map((path) => [path, readSource(path)])
    .filter(([, content]) => content !== undefined);
  if (found.length === 0) break;
  for (const [path, content] of found) input.sources[path] = { content };
}
process.stdout.write(output);
