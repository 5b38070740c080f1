import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";

const NODE_BUILTINS = new Set(builtinModules);

/**
 * Bundles `entry` for the browser with every dependency and returns each import of a Node built-in
 * as "importer -> module". esbuild alone would fail on the first one; this lists them all.
 */
async function nodeImportsOf(entry: string): Promise<string[]> {
  const found: string[] = [];
  const record: Plugin = {
    name: "record-node-builtins",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.replace(/^node:/, "").split("/")[0]!;
        if (!args.path.startsWith("node:") && !NODE_BUILTINS.has(bare)) return undefined;
        found.push(`${args.importer} -> ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    logLevel: "silent",
    plugins: [record],
  });
  return found;
}

describe("contracts/portable", () => {
  it("imports no Node built-in anywhere in its module graph (browsers, CRE workflows, the feed client)", async () => {
    expect(await nodeImportsOf(fileURLToPath(new URL("./portable.ts", import.meta.url)))).toEqual([]);
  });

  it("the check catches the Node-only entry", async () => {
    const found = await nodeImportsOf(fileURLToPath(new URL("./node.ts", import.meta.url)));
    expect(found.some((f) => f.endsWith("-> node:fs"))).toBe(true);
  });
});
