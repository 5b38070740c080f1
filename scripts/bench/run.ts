// `npm run bench -- <scenario> [args]` runs one scenario and prints its figures as JSON on the
// last line; `npm run bench -- --list` lists them. Scenarios are the `*.bench.ts` files anywhere
// in the project's own folders, each exporting `scenario: BenchScenario`.
import { globSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchScenario } from "./scenario";

const AREAS = ["attestation", "oracle-node", "ccip-bridge", "workflows", "scripts", "contracts", "test"];

async function loadScenarios(): Promise<Map<string, BenchScenario>> {
  const files = AREAS.flatMap((area) => globSync(`${area}/**/*.bench.ts`)).sort();
  const scenarios = new Map<string, BenchScenario>();
  for (const file of files) {
    const mod = (await import(pathToFileURL(resolve(file)).href)) as { scenario?: BenchScenario };
    if (!mod.scenario) throw new Error(`${file} does not export \`scenario\``);
    if (scenarios.has(mod.scenario.name))
      throw new Error(`duplicate bench scenario name: ${mod.scenario.name}`);
    scenarios.set(mod.scenario.name, mod.scenario);
  }
  return scenarios;
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const scenarios = await loadScenarios();
  if (!name || name === "--list") {
    for (const s of scenarios.values()) console.log(`${s.name.padEnd(22)} ${s.description}`);
    if (!name) process.exitCode = 2;
    return;
  }
  const scenario = scenarios.get(name);
  if (!scenario) {
    console.error(`unknown bench scenario "${name}"; known: ${[...scenarios.keys()].join(", ")}`);
    process.exitCode = 2;
    return;
  }
  console.error(`running ${scenario.name}: ${scenario.description}`);
  const figures = await scenario.run(args);
  console.log(JSON.stringify({ scenario: scenario.name, ...figures }));
}

await main();
