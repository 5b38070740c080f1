import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface ForgeLayout {
  /** The repository root (where foundry.toml is). */
  root: string;
  /** foundry.toml's `src`, `out` and `cache_path`, relative to the root. */
  src: string;
  out: string;
  cache: string;
  /** Artifacts the caller loads, as `File.sol/Contract.json` under `out`. */
  artifacts: readonly string[];
}

/** The layout foundry.toml gives this repository, and the artifacts `deployVigil` loads first. */
export const VIGIL_FORGE_LAYOUT: Omit<ForgeLayout, "root"> = {
  src: "contracts/src",
  out: "contracts/out",
  cache: "contracts/cache/solidity-files-cache.json",
  artifacts: [
    "VigilToken.sol/VigilToken.json",
    "KeystoneForwarder.sol/KeystoneForwarder.json",
    "VigilRegistry.sol/VigilRegistry.json",
    "VigilSettlement.sol/VigilSettlement.json",
    "ExampleDePINConsumer.sol/ExampleDePINConsumer.json",
    "ClaimBridgeHook.sol/ClaimBridgeHook.json",
  ],
};

/**
 * Whether `forge build` must run before the contracts can be deployed, and why: an artifact is
 * missing (a fresh clone: `out/` is git-ignored), or a Solidity source or foundry.toml changed after
 * the last build. Forge rewrites its files cache on every build, even one that compiled nothing, so
 * the cache's time is when the artifacts last matched the sources. Undefined: up to date.
 */
export function contractsBuildNeeded(layout: ForgeLayout): string | undefined {
  for (const artifact of layout.artifacts)
    if (!existsSync(join(layout.root, layout.out, artifact)))
      return `no forge artifact ${join(layout.out, artifact)}`;
  const cache = join(layout.root, layout.cache);
  if (!existsSync(cache)) return `no forge cache ${layout.cache}`;
  const builtAt = statSync(cache).mtimeMs;
  const inputs = [join(layout.root, "foundry.toml"), ...solidityFiles(join(layout.root, layout.src))];
  const changed = inputs.find((file) => existsSync(file) && statSync(file).mtimeMs > builtAt);
  return changed === undefined ? undefined : `${relative(layout.root, changed)} changed since the last build`;
}

function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".sol"))
    .map((name) => join(dir, name));
}
