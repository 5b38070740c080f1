import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";

/**
 * Runs `forge build` in `root` through the project's own forge (`scripts/contracts/forge.mjs`, as
 * `npm run build:contracts` does), its output going to `logFile`. Forge reaches solc through
 * scripts/solc/solc.mjs (`#!/usr/bin/env node`), which needs Node 22 first on the PATH, as npm
 * scripts have it. contracts/abi.ts is committed and generated from the same sources, so a build
 * for the devnet needs no `gen-abi` (contracts/abi.test.ts tells when it does).
 */
export async function buildContracts(root: string, logFile: string): Promise<void> {
  const out = createWriteStream(logFile, { flags: "a" });
  // Through forge.mjs: the forge package's own wrapper exits 0 even when the build fails.
  const child = spawn(process.execPath, [join(root, "scripts", "contracts", "forge.mjs"), "build"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` },
  });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  let code: number | null;
  try {
    code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
  } finally {
    // Flushed before the tail below is read from it.
    await new Promise<void>((done) => out.end(done));
  }
  if (code === 0) return;
  const tail = (await readFile(logFile, "utf8")).trimEnd().split("\n").slice(-5).join(" | ");
  throw new Error(`forge build exited with code ${code} (see ${logFile}): ${tail}`);
}
