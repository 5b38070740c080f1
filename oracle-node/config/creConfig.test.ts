// The `[cre]` section: off without a DON, derived from the deployment file when it has one, and
// typed errors for a half-configured or malformed section.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors";
import { resolveConfig } from "./loadConfig";
import { renderConfig } from "./renderConfig";

const A = {
  settlement: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  registry: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  forwarder: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  token: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
};

function file(deployment?: Record<string, unknown>): { toml: Record<string, unknown>; path: string } {
  const d = mkdtempSync(join(tmpdir(), "vigil-cre-config-"));
  const toml = parse(
    renderConfig({
      dataDir: "data",
      networks: [1n],
      apiPort: 8080,
      adminPort: 8082,
      adminToken: "a".repeat(32),
      p2pListen: ["/ip4/127.0.0.1/tcp/0"],
      rpcUrls: ["http://127.0.0.1:8545"],
      chainId: 31337,
    }),
  ) as Record<string, unknown>;
  const chain = toml.chain as Record<string, unknown>;
  if (deployment) {
    writeFileSync(
      join(d, "deployment.json"),
      JSON.stringify({ chainId: 31337, ...A, consumer: A.token, ...deployment }),
    );
    chain.deployment_file = "deployment.json";
  } else Object.assign(chain, A);
  return { toml, path: join(d, "node.toml") };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("[cre] config", () => {
  it("is off when nothing names a DON", () => {
    const { toml, path } = file();
    expect(resolveConfig(toml, { path }).cre).toBeUndefined();
  });

  it("takes DON id and start block from the deployment file and follows the latest config version", () => {
    const { toml, path } = file({ donId: 7, configVersion: 2, deployBlock: 12 });
    const cre = resolveConfig(toml, { path }).cre!;
    // The deployment's version is where the DON began, not where it stays: no pin unless asked.
    expect(cre.configVersion).toBeUndefined();
    expect(cre).toMatchObject({
      required: false,
      donId: 7,
      fromBlock: 12n,
      chainSelector: 7759470850252068959n,
      chainSelectorName: "anvil-devnet",
      settleSchedule: "*/2 * * * * *",
      gasLimit: 1_000_000,
      slashAmount: "1000000000000000000",
      transmitDelayMs: 1500,
    });
    expect(cre.workflowsDir).toMatch(/workflows\/?$/);
  });

  it("lets the file and the environment override, and can be switched off", () => {
    const { toml, path } = file({ donId: 1, configVersion: 1 });
    toml.cre = parse(
      'don_id = 3\nworkflows_dir = "wf"\nchain_selector = "16015286601757825753"\nsecrets = { EXTRA = "x" }',
    );
    const cre = resolveConfig(toml, {
      path,
      env: { VIGIL_CRE_CONFIG_VERSION: "4", VIGIL_CRE_SETTLE_SCHEDULE: "* * * * * *" },
    }).cre!;
    expect(cre).toMatchObject({
      donId: 3,
      configVersion: 4,
      settleSchedule: "* * * * * *",
      secrets: { EXTRA: "x" },
    });
    expect(cre.workflowsDir).toBe(join(path, "..", "wf"));
    expect(resolveConfig(toml, { path, env: { VIGIL_CRE_ENABLED: "false" } }).cre).toBeUndefined();
  });

  it("names what is missing or malformed", () => {
    const { toml, path } = file();
    toml.cre = { enabled: true };
    expect(configError(() => resolveConfig(toml, { path })).issues).toEqual([
      { key: "cre.don_id", message: expect.stringMatching(/DON id/) },
    ]);
    toml.cre = { gas_limit: -1, slash_amount: "1e18", settle_schedule: "every minute", schedule: "x" };
    const issues = configError(() => resolveConfig(toml, { path })).issues;
    expect(issues.map((i) => i.key)).toEqual(
      expect.arrayContaining(["cre.gas_limit", "cre.slash_amount", "cre.settle_schedule", "cre"]),
    );
    expect(issues.find((i) => i.key === "cre.settle_schedule")!.message).toMatch(/cron schedule/);
    toml.cre = { don_id: "one" };
    expect(
      configError(() => resolveConfig(toml, { path, env: { VIGIL_CRE_DON_ID: "x1" } })).issues[0],
    ).toMatchObject({ key: "cre.don_id", env: "VIGIL_CRE_DON_ID" });
  });
});
