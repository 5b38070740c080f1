import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

/** Where `forge build` writes its artifacts (foundry.toml's `out`). */
export const FORGE_OUT = join(dirname(fileURLToPath(import.meta.url)), "out");

export interface ForgeArtifact {
  abi: Abi;
  bytecode: Hex;
}

/**
 * Reads a contract's ABI and creation bytecode from forge's output. `file` is the Solidity file name
 * (`KeystoneForwarder.sol`); `contract` defaults to the file's base name. Run `npm run build:contracts`
 * (or `forge build`) first.
 */
export function loadArtifact(file: string, contract = file.replace(/\.sol$/, "")): ForgeArtifact {
  const path = join(FORGE_OUT, file, `${contract}.json`);
  let json: { abi: Abi; bytecode: { object: Hex } };
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new Error(
      `forge artifact ${file}:${contract} not found at ${path}; run \`npm run build:contracts\``,
      {
        cause,
      },
    );
  }
  return { abi: json.abi, bytecode: json.bytecode.object };
}
