import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("portable.ts", () => {
  it("has no node: built-in anywhere in its import graph", async () => {
    const result = await build({
      entryPoints: [new URL("./portable.ts", import.meta.url).pathname],
      bundle: true,
      write: false,
      platform: "neutral",
      format: "esm",
      mainFields: ["module", "main"],
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes("crypto/node.ts"))).toBe(false);
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => p.startsWith("node:") || p === "crypto" || p === "buffer")).toEqual([]);
  });
});
