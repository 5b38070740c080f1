#!/usr/bin/env node
// `vigil`, linked as node_modules/.bin/vigil so `npx vigil …` runs it in this project (why not a
// package.json `bin`: scripts/cli/buildCli.ts). Runs dist/vigil.mjs, the bundle of scripts/vigil.ts
// that `npm install` builds (`npm run build:cli`), in this process, so signals sent to `vigil`
// reach the node itself. `npm run vigil -- …` runs the sources with tsx instead.
import { readFileSync, statSync } from "node:fs";

const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error(
    `error: vigil needs Node >= 22 (this is ${process.version}); run it through npx or npm, which put the project's Node 22 first on the PATH`,
  );
  process.exit(1);
}

const bundle = new URL("../dist/vigil.mjs", import.meta.url);
const inputs = new URL("../dist/vigil.inputs.json", import.meta.url);
const root = new URL("../", import.meta.url);

let built;
try {
  built = statSync(bundle).mtimeMs;
} catch {
  console.error("error: dist/vigil.mjs is missing: run `npm run build:cli` (npm install runs it)");
  process.exit(1);
}
// A source edited after the build would silently not run: say so (checking ~250 mtimes takes ~2 ms).
try {
  const files = JSON.parse(readFileSync(inputs, "utf8"));
  const newer = files.find((f) => statSync(new URL(f, root), { throwIfNoEntry: false })?.mtimeMs > built);
  if (newer)
    console.error(`warning: ${newer} changed after dist/vigil.mjs was built: run \`npm run build:cli\``);
} catch (err) {
  console.error(`warning: cannot check whether dist/vigil.mjs is current (${err.message})`);
}

await import(bundle.href);
