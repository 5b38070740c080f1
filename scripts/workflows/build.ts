// Builds Vigil's CRE workflows. `npx tsx scripts/workflows/build.ts [workflow-dir ...] [--js]`
//
// - WASM for Chainlink's CRE: runs the SDK's `cre-compile` (bun + javy). bun must be on the PATH;
//   javy is downloaded by the SDK's javy plugin from GitHub into ~/.cache/javy on first use. Where
//   either is missing (this project's machines have neither and cannot download them) the script
//   says so and exits with status 3, building nothing.
// - `--js`: the esbuild bundle the oracle node's CRE host runs (no bun or javy needed).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { bundleWorkflow } from "../../oracle-node/cre-host/bundle";

const root = resolve(import.meta.dirname, "../..");
const outDir = join(root, "workflows", "out");
/** The javy release the SDK's plugin (`@chainlink/cre-sdk-javy-plugin`, ensure-javy.ts) uses. */
const JAVY_VERSION = "v8.1.0";

function defaultWorkflows(): string[] {
  const dir = join(root, "workflows");
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "main.ts")))
    .map((d) => join(dir, d.name));
}

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function javyPath(): string | undefined {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  const cached = join(homedir(), ".cache", "javy", JAVY_VERSION, `${process.platform}-${arch}`, "javy");
  return existsSync(cached) ? cached : which("javy");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const js = args.includes("--js");
  const dirs = args.filter((a) => !a.startsWith("--")).map((d) => resolve(d));
  const workflows = dirs.length ? dirs : defaultWorkflows();
  mkdirSync(outDir, { recursive: true });

  if (js) {
    for (const dir of workflows) {
      const bundle = await bundleWorkflow(join(dir, "main.ts"));
      const out = join(outDir, `${basename(dir)}.js`);
      writeFileSync(out, bundle.code);
      console.log(`bundled ${basename(dir)} → ${out} (${bundle.binary.length} bytes)`);
    }
    return;
  }

  const bun = which("bun");
  const javy = javyPath();
  if (!bun || !javy) {
    console.error(
      [
        "cannot compile workflows to WASM here:",
        bun ? `  bun: ${bun}` : "  bun: missing (install it from https://bun.sh; cre-compile runs under bun)",
        javy
          ? `  javy: ${javy}`
          : `  javy: missing (the SDK's javy plugin downloads javy ${JAVY_VERSION} from GitHub on first use; no network here)`,
        "Build where both are available (see docs/cre.md), or use --js for the bundle the oracle node runs.",
      ].join("\n"),
    );
    process.exitCode = 3;
    return;
  }
  for (const dir of workflows) {
    const out = join(outDir, `${basename(dir)}.wasm`);
    // cre-compile type-checks the workflow against the SDK's restricted APIs, bundles it and runs javy.
    const r = spawnSync(bun, ["x", "cre-compile", join(dir, "main.ts"), out], {
      cwd: root,
      stdio: "inherit",
    });
    if (r.status !== 0) {
      console.error(`cre-compile failed for ${basename(dir)}`);
      process.exitCode = 1;
      return;
    }
    console.log(`compiled ${basename(dir)} → ${out}`);
  }
}

await main();
