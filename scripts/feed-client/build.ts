// Builds the feed client as an installable package in dist/feed-client/ (`npm run build:feed-client`):
// index.js, one ESM bundle of the client and the project code it uses (contracts/portable, the
// response schemas), with its npm dependencies left as imports; types/, the declarations tsc emits for
// the same files; package.json, the manifest oracle-node/feed/client/package.json, with the package's
// README.md and CHANGELOG.md beside it. `npm run pack:feed-client` packs that folder into
// dist/vigil-feed-client-<version>.tgz.
//
// The client runs in browsers too: the build fails if anything it bundles imports a Node built-in.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(import.meta.dirname, "../..");
const CLIENT = join(ROOT, "oracle-node/feed/client");
const ENTRY = join(CLIENT, "index.ts");
export const FEED_CLIENT_OUT = join(ROOT, "dist/feed-client");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

interface Manifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
}

export function readManifest(): Manifest {
  return JSON.parse(readFileSync(join(CLIENT, "package.json"), "utf8")) as Manifest;
}

/** The tarball `npm pack` writes for the manifest: `@vigil/feed-client` 0.1.0 → vigil-feed-client-0.1.0.tgz. */
export function tarballName(manifest: Manifest = readManifest()): string {
  return `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`;
}

/** The package declares the ranges the repository installs and tests with, so the two cannot drift. */
function checkDependencyRanges(manifest: Manifest): void {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const drift = Object.entries(manifest.dependencies).filter(
    ([name, range]) => root.dependencies[name] !== range,
  );
  if (drift.length > 0)
    throw new Error(
      `oracle-node/feed/client/package.json: dependency ranges differ from the root package.json: ${drift
        .map(([name, range]) => `${name} ${range} (root: ${root.dependencies[name] ?? "absent"})`)
        .join(", ")}`,
    );
}

const nodeBuiltins = new Set(builtinModules);
function refuseNodeBuiltins(found: string[]): Plugin {
  return {
    name: "refuse-node-builtins",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!args.path.startsWith("node:") && !nodeBuiltins.has(args.path.split("/")[0]!)) return undefined;
        found.push(`${relative(ROOT, args.importer)} imports ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * tsc writes extensionless relative specifiers (`from "./errors"`), which Node's ESM resolution
 * (`moduleResolution: node16/nodenext` in a consumer) does not resolve: point each at its file.
 */
function addDeclarationExtensions(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8").replace(
      /((?:from|import)\s*\(?\s*")(\.{1,2}\/[^"]*)(")/g,
      (match, before: string, spec: string, after: string) => {
        const target = resolve(dirname(file), spec);
        if (existsSync(`${target}.d.ts`)) return `${before}${spec}.js${after}`;
        if (existsSync(join(target, "index.d.ts"))) return `${before}${spec}/index.js${after}`;
        return match;
      },
    );
    writeFileSync(file, text);
  }
}

export async function buildFeedClient(): Promise<{ dir: string; manifest: Manifest }> {
  const manifest = readManifest();
  checkDependencyRanges(manifest);
  rmSync(FEED_CLIENT_OUT, { recursive: true, force: true });
  mkdirSync(FEED_CLIENT_OUT, { recursive: true });

  const found: string[] = [];
  await build({
    entryPoints: [ENTRY],
    outfile: join(FEED_CLIENT_OUT, "index.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    sourcemap: true,
    external: Object.keys(manifest.dependencies).flatMap((name) => [name, `${name}/*`]),
    legalComments: "none",
    logLevel: "warning",
    plugins: [refuseNodeBuiltins(found)],
  });
  if (found.length > 0) throw new Error(`the feed client must run outside Node, but ${found.join("; ")}`);

  // DOM, not @types/node: the declarations must hold in a browser project as well.
  const tsconfig = join(dirname(FEED_CLIENT_OUT), "feed-client.tsconfig.json");
  writeFileSync(
    tsconfig,
    JSON.stringify({
      compilerOptions: {
        declaration: true,
        emitDeclarationOnly: true,
        outDir: join(FEED_CLIENT_OUT, "types"),
        rootDir: ROOT,
        target: "ES2022",
        lib: ["ES2024", "DOM", "DOM.AsyncIterable"],
        types: [],
        module: "ESNext",
        moduleResolution: "Bundler",
        strict: true,
        skipLibCheck: true,
        isolatedModules: true,
      },
      files: [ENTRY],
    }),
  );
  try {
    execFileSync(process.execPath, [TSC, "-p", tsconfig], { cwd: ROOT, encoding: "utf8" });
  } catch (cause) {
    const out = (cause as { stdout?: string }).stdout ?? "";
    throw new Error(`tsc could not emit the feed client's declarations:\n${out}`, { cause });
  }
  addDeclarationExtensions(join(FEED_CLIENT_OUT, "types"));
  for (const file of ["package.json", "README.md", "CHANGELOG.md"])
    cpSync(join(CLIENT, file), join(FEED_CLIENT_OUT, file));
  return { dir: FEED_CLIENT_OUT, manifest };
}

/** Packs dist/feed-client into dist/<tarball> with npm; returns the tarball's path. */
export function packFeedClient(): string {
  const out = dirname(FEED_CLIENT_OUT);
  execFileSync("npm", ["pack", FEED_CLIENT_OUT, "--pack-destination", out, "--ignore-scripts", "--silent"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return join(out, tarballName());
}

if (import.meta.filename === process.argv[1]) {
  const { dir, manifest } = await buildFeedClient();
  console.log(`built ${manifest.name}@${manifest.version} in ${relative(ROOT, dir)}`);
  if (process.argv.includes("--pack")) console.log(`packed ${relative(ROOT, packFeedClient())}`);
}
