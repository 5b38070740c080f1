import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { contractsBuildNeeded, type ForgeLayout } from "./contractsBuildNeeded";

/** A repository as forge leaves it: sources, foundry.toml, artifacts and the files cache at `builtAt`. */
function repo(opts: { artifacts?: string[]; cache?: boolean } = {}) {
  const root = mkdtempSync(join(tmpdir(), "vigil-forge-"));
  const layout: ForgeLayout = {
    root,
    src: "contracts/src",
    out: "contracts/out",
    cache: "contracts/cache/solidity-files-cache.json",
    artifacts: ["Token.sol/Token.json", "Registry.sol/Registry.json"],
  };
  const write = (path: string, at: number) => {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "x");
    utimesSync(file, at, at);
  };
  const sourcesAt = 1_000_000;
  const builtAt = 2_000_000;
  write("foundry.toml", sourcesAt);
  write("contracts/src/Token.sol", sourcesAt);
  write("contracts/src/deep/Registry.sol", sourcesAt);
  for (const a of opts.artifacts ?? layout.artifacts) write(join(layout.out, a), builtAt);
  if (opts.cache ?? true) write(layout.cache, builtAt);
  return { layout, write, builtAt };
}

describe("contractsBuildNeeded", () => {
  it("needs no build when every artifact exists and nothing changed since the last build", () => {
    expect(contractsBuildNeeded(repo().layout)).toBeUndefined();
  });

  it("builds on a fresh clone: no artifacts (forge's out/ is git-ignored)", () => {
    const { layout } = repo({ artifacts: [], cache: false });
    expect(contractsBuildNeeded(layout)).toBe("no forge artifact contracts/out/Token.sol/Token.json");
  });

  it("builds when one artifact the devnet loads is missing", () => {
    const { layout } = repo({ artifacts: ["Token.sol/Token.json"] });
    expect(contractsBuildNeeded(layout)).toMatch(/Registry\.sol\/Registry\.json/);
  });

  it("builds when a Solidity source, however deep, or foundry.toml is newer than the last build", () => {
    const a = repo();
    a.write("contracts/src/deep/Registry.sol", a.builtAt + 10);
    expect(contractsBuildNeeded(a.layout)).toBe(
      "contracts/src/deep/Registry.sol changed since the last build",
    );
    const b = repo();
    b.write("foundry.toml", b.builtAt + 10);
    expect(contractsBuildNeeded(b.layout)).toBe("foundry.toml changed since the last build");
  });

  it("builds when forge's cache is gone, as forge itself would", () => {
    expect(contractsBuildNeeded(repo({ cache: false }).layout)).toMatch(/no forge cache/);
  });
});
