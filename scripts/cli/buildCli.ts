// Builds dist/vigil.mjs, the bundle `npx vigil` runs (bin/vigil.mjs), from scripts/vigil.ts, and
// links node_modules/.bin/vigil to bin/vigil.mjs. `npm install` runs it (the `prepare` script);
// `npm run build:cli` runs it by hand.
//
// Why a link and no package.json `bin`: npm 11 runs a root package's own bin by first installing
// the project into its npx cache (~/.npm/_npx), which took 5 s more per `npx vigil` here, printed
// EBADENGINE warnings (npm itself runs on the system Node 20) and failed outright once with a
// half-written cache entry. A command found in node_modules/.bin runs directly.
//
// Only project code is bundled: packages stay imports resolved from node_modules at run time
// (native and WASM parts, workers and ESM-only packages load as they do under tsx), except the
// CRE SDK, whose dist/ uses extensionless imports that Node's own resolver refuses.
//
// Project files find files beside them (worker sources, workflows/, the devnet's entry points)
// through `import.meta.url`; in the bundle that would be dist/vigil.mjs for all of them, so each
// file's `import.meta.url` (and `dirname`/`filename`) is rewritten to its source file's location,
// relative to the bundle, so the checkout can still move.
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(import.meta.dirname, "../..");
export const CLI_BUNDLE = join(ROOT, "dist", "vigil.mjs");
/** Inputs of the last build, for the launcher's "bundle is stale" check. */
export const CLI_INPUTS = join(ROOT, "dist", "vigil.inputs.json");
const LAUNCHER = join(ROOT, "bin", "vigil.mjs");
const BIN_LINK = join(ROOT, "node_modules", ".bin", "vigil");

/** Packages bundled although they live in node_modules (see the header). */
const BUNDLED_PACKAGES = [/^@chainlink\/cre-sdk(\/|$)/];

/**
 * CommonJS packages loaded on first use instead of at start-up. `typescript` (the CRE host's
 * workflow bundler parses entry files with it) takes 1.3 s to load, more than everything else a
 * `vigil` command loads; only its default export is used, so a proxy stands in for it.
 */
const LAZY_PACKAGES = ["typescript"];
const lazyModule = (name: string) => `import { createRequire } from "node:module";
let loaded;
const load = () => (loaded ??= createRequire(import.meta.url)(${JSON.stringify(name)}));
export default new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });
`;

const toPosix = (p: string) => p.split(sep).join("/");

/** import.meta.* of one project file, as expressions valid in the bundle. */
function sourceLocation(file: string): { url: string; dirname: string; filename: string } {
  const fromBundle = (target: string) =>
    JSON.stringify(toPosix(relative(dirname(CLI_BUNDLE), target)) || ".");
  const url = `new URL(${fromBundle(file)}, import.meta.url).href`;
  const path = `process.getBuiltinModule("node:path")`;
  return {
    url,
    filename: `${path}.join(import.meta.dirname, ${fromBundle(file)})`,
    dirname: `${path}.join(import.meta.dirname, ${fromBundle(dirname(file))})`,
  };
}

const vigilCliPlugin: Plugin = {
  name: "vigil-cli",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (LAZY_PACKAGES.includes(args.path)) return { path: args.path, namespace: "lazy" };
      if (args.kind === "entry-point" || BUNDLED_PACKAGES.some((p) => p.test(args.path))) return undefined;
      return { path: args.path, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy" }, (args) => ({
      contents: lazyModule(args.path),
      loader: "js",
    }));
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const where = sourceLocation(args.path);
      const contents = readFileSync(args.path, "utf8").replace(
        /\bimport\.meta\.(url|dirname|filename)\b/g,
        (_, key: "url" | "dirname" | "filename") => `(${where[key]})`,
      );
      return { contents, loader: "ts" };
    });
  },
};

/** node_modules/.bin/vigil → bin/vigil.mjs, so `npx vigil` finds it (see the header). */
function linkBin(): void {
  const target = relative(dirname(BIN_LINK), LAUNCHER);
  const existing = lstatSync(BIN_LINK, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink() && readlinkSync(BIN_LINK) === target) return;
  mkdirSync(dirname(BIN_LINK), { recursive: true });
  rmSync(BIN_LINK, { force: true });
  symlinkSync(target, BIN_LINK);
}

export async function buildCli(): Promise<{ bundle: string; inputs: number }> {
  const result = await build({
    entryPoints: [join(ROOT, "scripts", "vigil.ts")],
    outdir: dirname(CLI_BUNDLE),
    outExtension: { ".js": ".mjs" },
    // scripts/vigil.ts imports each area on demand: its packages load only with it. Chunks sit beside
    // the entry, where sourceLocation's relative paths start.
    splitting: true,
    chunkNames: "vigil-[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    plugins: [vigilCliPlugin],
    metafile: true,
    sourcemap: "linked",
    logLevel: "warning",
  });
  const inputs = Object.keys(result.metafile.inputs)
    // Files of this checkout only: not packages, not the plugin's virtual modules ("lazy:typescript").
    .filter((p) => !p.includes("node_modules/") && !/^[a-z-]+:/.test(p))
    .map((p) => toPosix(relative(ROOT, resolve(ROOT, p))));
  writeFileSync(CLI_INPUTS, `${JSON.stringify(inputs, null, 1)}\n`);
  // Chunks of earlier builds (their names carry a hash).
  const outputs = new Set(Object.keys(result.metafile.outputs).map((p) => resolve(ROOT, p)));
  for (const file of readdirSync(dirname(CLI_BUNDLE)))
    if (/^vigil-.+\.mjs(\.map)?$/.test(file) && !outputs.has(join(dirname(CLI_BUNDLE), file)))
      rmSync(join(dirname(CLI_BUNDLE), file));
  linkBin();
  return { bundle: CLI_BUNDLE, inputs: inputs.length };
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  try {
    const { bundle, inputs } = await buildCli();
    console.log(`built ${relative(ROOT, bundle)} from ${inputs} project files`);
  } catch (error) {
    // esbuild has printed each error with its file and line; its stack trace would add nothing.
    console.error(`build:cli failed: ${(error as Error).message.split("\n")[0]}`);
    process.exitCode = 1;
  }
}
