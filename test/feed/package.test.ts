// The feed client as a DePIN protocol installs it: the package is built and packed with npm, installed
// from the tarball into a project outside the repository (offline, from the npm cache the repository's
// own install filled), and a plain `node` script there verifies a line served by a real feed against
// the root settled on anvil through the KeystoneForwarder, and rejects a tampered one. `tsc` then
// checks a TypeScript file against the package's declarations under Node's ESM resolution.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  parseEther,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Deployment,
  encodeEpochSettlementReport,
  keystoneForwarderAbi,
  vigilRegistryAbi,
  vigilSettlementAbi,
  vigilTokenAbi,
} from "../../contracts/index";
import { type ApiServer, serveApi } from "../../oracle-node/api/index";
import {
  deviceId,
  generateLines,
  lyingSource,
  observationsFor,
  oracleAccounts,
  oracleKeys,
  signResultVote,
} from "../../oracle-node/feed/fixture";
import { createFeedApp, createMemoryFeedSource, type FeedSource } from "../../oracle-node/feed/index";
import { rawReport, signReport } from "../../scripts/contracts/forwarderReport";
import { deployVigil, workflowNameBytes10 } from "../../scripts/deploy/deploy";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { buildFeedClient, packFeedClient } from "../../scripts/feed-client/build";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
/** npm gets this long per command; offline it takes seconds, so a timeout means it waits on the network. */
const NPM_TIMEOUT_MS = 120_000;

const DEPLOYER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const deployer = privateKeyToAccount(DEPLOYER_KEY);
const keys = oracleKeys(4);
const oracles = oracleAccounts(4);
const workflowOwner = privateKeyToAccount(keccak256(toHex("package.workflow.owner"))).address;
const settleName = workflowNameBytes10("epoch-settlement");

let anvil: Anvil;
let deployment: Deployment;
const servers: ApiServer[] = [];
let project: string;

/** Settles epoch 0 of network 1 on anvil and serves it from a feed node (and a node that tampers lines). */
async function serveSettledFeed(): Promise<{ honest: string; liar: string }> {
  anvil = await startAnvil();
  deployment = await deployVigil({
    rpcUrl: anvil.rpcUrl,
    privateKey: DEPLOYER_KEY,
    signers: oracles.map((o) => o.address),
    f: 1,
    workflows: [{ kind: 1, owner: workflowOwner, name: settleName }],
    network: { rewardBudgetPerEpoch: parseEther("1000"), stakePerDevice: 0n, epochLength: 1, k: 3 },
    mint: [{ to: deployer.address, amount: parseEther("10000") }],
  });
  const client = createPublicClient({ transport: http(anvil.rpcUrl), pollingInterval: 50 });
  const wallet = createWalletClient({ account: deployer, transport: http(anvil.rpcUrl), chain: foundry });
  const send = async (address: Address, abi: readonly unknown[], functionName: string, args: unknown[]) => {
    const hash = await wallet.writeContract({
      address,
      abi: abi as never,
      functionName: functionName as never,
      args: args as never,
      // The forwarder survives a failing receiver, so gas estimation can starve `onReport`: be explicit.
      gas: 5_000_000n,
    });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  };
  await send(deployment.token, vigilTokenAbi, "approve", [deployment.registry, parseEther("400")]);
  for (const o of oracles)
    await send(deployment.registry, vigilRegistryAbi, "registerOperator", [
      o.address,
      "0x0024",
      parseEther("100"),
    ]);
  await send(deployment.token, vigilTokenAbi, "approve", [deployment.settlement, parseEther("1000")]);
  await send(deployment.settlement, vigilSettlementAbi, "depositBudget", [1n, parseEther("1000")]);

  const source = createMemoryFeedSource();
  const ctx = { chainId: anvil.chainId, settlement: deployment.settlement as Address };
  const result = source.publishEpoch({
    networkId: 1n,
    epoch: 0n,
    ...observationsFor(
      oracles.map((o) => o.address),
      1n,
      0n,
    ),
    lines: generateLines(1n, 0n, 20, parseEther("500")),
  });
  source.addVotes(1n, 0n, await Promise.all(oracles.slice(0, 2).map((o) => signResultVote(o, ctx, result))));
  await client.request({ method: "evm_increaseTime" as never, params: [5] as never });
  const raw = rawReport(
    {
      executionId: keccak256(toHex("package-execution-0")),
      timestamp: Math.floor(Date.now() / 1000),
      donId: 1,
      configVersion: 1,
      workflowCid: keccak256(toHex("cid")),
      workflowName: settleName,
      workflowOwner,
      reportId: "0x0001",
    },
    encodeEpochSettlementReport({ ...(await source.getEpochResult(1n, 0n))!, slashes: [] }),
  );
  const context = keccak256(toHex("context"));
  await send(deployment.forwarder, keystoneForwarderAbi, "report", [
    deployment.settlement,
    raw,
    context,
    await signReport(raw, context, keys.slice(0, 2)),
  ]);
  source.markSettled(1n, 0n);
  const serve = async (s: FeedSource) => {
    const server = await serveApi(createFeedApp(s, { rateLimit: false }), { host: "127.0.0.1", port: 0 });
    servers.push(server);
    return server.url;
  };
  return {
    honest: await serve(source),
    liar: await serve(
      lyingSource(source, {
        line: (p) => ({ ...p, line: { ...p.line, reward: p.line.reward + 1n } }),
      }),
    ),
  };
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * A lockfile for the consumer project: the tarball plus its dependency closure copied from the
 * repository's lockfile, at the same paths, with tarball URLs. With it npm installs exactly what the
 * repository installed, fetching tarballs only (cached by the repository's install), no package
 * metadata (which npm may not have kept).
 */
async function consumerLock(
  tarball: string,
  manifest: { name: string; version: string; dependencies: Record<string, string> },
) {
  const repoLock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const registry = (await run("npm", ["config", "get", "registry"], { cwd: ROOT })).stdout
    .trim()
    .replace(/\/?$/, "/");
  const packages: Record<string, LockEntry> = {};
  const locate = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.slice(0, dir.lastIndexOf("/node_modules/"))) {
      const path = `${dir ? `${dir}/` : ""}node_modules/${name}`;
      if (repoLock.packages[path]) return path;
      if (!dir.includes("/node_modules/")) return dir ? locate("", name) : undefined;
    }
  };
  const visit = (from: string, deps: Record<string, string>, optional: Set<string>) => {
    for (const name of Object.keys(deps)) {
      const path = locate(from, name);
      if (!path) {
        if (optional.has(name)) continue;
        throw new Error(`${name} (needed by ${from || "@vigil/feed-client"}) is not in package-lock.json`);
      }
      if (packages[path]) continue;
      const entry: LockEntry = { ...repoLock.packages[path]! };
      if (entry.link)
        throw new Error(`${path} is a link in package-lock.json; the consumer cannot install it`);
      entry.resolved ??= `${registry}${name}/-/${basename(name)}-${entry.version}.tgz`;
      packages[path] = entry;
      const peers = Object.keys(entry.peerDependencies ?? {}).filter(
        (p) => !entry.peerDependenciesMeta?.[p]?.optional,
      );
      visit(
        path,
        {
          ...entry.dependencies,
          ...entry.optionalDependencies,
          ...Object.fromEntries(peers.map((p) => [p, "*"])),
        },
        new Set(Object.keys(entry.optionalDependencies ?? {})),
      );
    }
  };
  visit("", manifest.dependencies, new Set());
  const spec = `file:${basename(tarball)}`;
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  return {
    name: "feed-consumer",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "feed-consumer", dependencies: { [manifest.name]: spec } },
      [`node_modules/${manifest.name}`]: {
        version: manifest.version,
        resolved: spec,
        integrity,
        dependencies: manifest.dependencies,
      },
      ...packages,
    },
  };
}

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "vigil-feed-consumer-"));
}, 10_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await anvil?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Builds and packs the package once for the whole file. */
let packed: Promise<{ manifest: Awaited<ReturnType<typeof buildFeedClient>>["manifest"]; tarball: string }>;
const buildAndPack = () => {
  packed ??= buildFeedClient().then(({ manifest }) => ({ manifest, tarball: packFeedClient() }));
  return packed;
};

describe("@vigil/feed-client as a package", () => {
  it("packs its README, its changelog for this version and its type declarations", async () => {
    const { manifest, tarball } = await buildAndPack();
    // What `npm pack` wrote, as a consumer's npm unpacks it.
    const files = (await run("tar", ["-tzf", tarball])).stdout.trim().split("\n");
    expect(files).toEqual(
      expect.arrayContaining([
        "package/package.json",
        "package/README.md",
        "package/CHANGELOG.md",
        "package/index.js",
        "package/types/oracle-node/feed/client/index.d.ts",
        "package/types/oracle-node/feed/client/createFeedClient.d.ts",
        "package/types/oracle-node/feed/client/errors.d.ts",
      ]),
    );
    // Nothing of the repository beyond the bundle and its declarations.
    expect(
      files.filter(
        (f) =>
          !/^package\/(types\/.*\.d\.ts|index\.js(\.map)?|package\.json|README\.md|CHANGELOG\.md)$/.test(f),
      ),
    ).toEqual([]);
    const changelog = (await run("tar", ["-xzOf", tarball, "package/CHANGELOG.md"])).stdout;
    expect(changelog).toContain(`## ${manifest.version}`);
    const readme = (await run("tar", ["-xzOf", tarball, "package/README.md"])).stdout;
    for (const section of [
      "## Install",
      "## Verify a line",
      "## Stream verdicts",
      "## Export an epoch",
      "## Errors",
    ])
      expect(readme).toContain(section);
    expect(readme).toContain(`vigil-feed-client-${manifest.version}.tgz`);
  }, 120_000);

  it("installs from its tarball outside the repository and verifies a line against the settled root", async () => {
    const [{ honest, liar }, { manifest, tarball }] = await Promise.all([serveSettledFeed(), buildAndPack()]);
    const local = join(project, basename(tarball));
    writeFileSync(local, readFileSync(tarball));
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "feed-consumer",
        private: true,
        type: "module",
        dependencies: { [manifest.name]: `file:${basename(tarball)}` },
      }),
    );
    writeFileSync(
      join(project, "package-lock.json"),
      JSON.stringify(await consumerLock(local, manifest), null, 2),
    );

    const cache = (await run("npm", ["config", "get", "cache"], { cwd: ROOT })).stdout.trim();
    await run("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: project,
      timeout: NPM_TIMEOUT_MS,
    }).catch((error: { stderr?: string; killed?: boolean }) => {
      throw new Error(
        `npm could not install ${basename(tarball)} offline in ${project}${error.killed ? ` (no answer in ${NPM_TIMEOUT_MS} ms)` : ""}: the npm cache (${cache}) must hold the tarballs the repository's install fetched; run \`npm ci\` in the repository first.\n${(error.stderr ?? "").slice(-2000)}`,
        { cause: error },
      );
    });

    writeFileSync(
      join(project, "verify.mjs"),
      `import { createFeedClient, FeedClientError } from "@vigil/feed-client";
import { createPublicClient, http } from "viem";

const cfg = JSON.parse(process.argv[2]);
const options = (node) => ({
  nodes: [node],
  chainId: cfg.chainId,
  settlement: cfg.settlement,
  signers: { registry: cfg.registry },
  publicClient: createPublicClient({ transport: http(cfg.rpcUrl) }),
  timeoutMs: 5000,
  retries: 1,
  backoffMs: 50,
});
const got = await createFeedClient(options(cfg.honest)).getDeviceLine(1n, 0n, cfg.deviceId, { onChain: true });
let rejected;
try {
  await createFeedClient(options(cfg.liar)).getDeviceLine(1n, 0n, cfg.deviceId, { onChain: true });
} catch (error) {
  if (!(error instanceof FeedClientError)) throw error;
  rejected = error.code;
}
console.log(JSON.stringify({
  checkedOnChain: got.result.checkedOnChain,
  deviceId: got.line.deviceId,
  reward: got.line.reward.toString(),
  proofLength: got.proof.length,
  rejected,
}));
`,
    );
    const cfg = {
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      settlement: deployment.settlement,
      registry: deployment.registry,
      honest,
      liar,
      deviceId: deviceId(3),
    };
    // Plain node from the project, no tsx, no loader: what a consumer runs.
    const { stdout } = await run(process.execPath, ["verify.mjs", JSON.stringify(cfg)], { cwd: project });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ checkedOnChain: true, deviceId: deviceId(3), rejected: "TAMPERED_LINE" });
    expect(out.proofLength).toBeGreaterThan(0);

    // Types: the package's declarations under Node's own ESM resolution, with DOM's fetch (no @types/node).
    writeFileSync(
      join(project, "check.ts"),
      `import {
  createFeedClient,
  type FeedClientError,
  type OnChainDeviceLine,
  type VerifiedSlashEvidence,
} from "@vigil/feed-client";
import type { Address, Hex } from "viem";

const client = createFeedClient({
  nodes: ["https://node.example"],
  chainId: 8453,
  settlement: "0x0000000000000000000000000000000000000001" as Address,
  signers: ["0x0000000000000000000000000000000000000002" as Address],
  timeoutMs: 5_000,
  retries: 3,
  backoffMs: 200,
});
export async function reward(deviceId: Hex): Promise<bigint> {
  const verified: OnChainDeviceLine = await client.getDeviceLine(1n, 0n, deviceId, { onChain: true });
  // @ts-expect-error reward is a bigint: this line fails to compile only if the types are real
  const wrong: string = verified.line.reward;
  void wrong;
  return verified.line.reward;
}
export const code = (e: FeedClientError): string => e.code;
export async function evidence(deviceId: Hex): Promise<bigint> {
  const proven: VerifiedSlashEvidence = await client.getSlashEvidence(1n, 0n, deviceId);
  // The challenger's clock is its word only: typed apart, as bigints.
  return proven.unverified.responseReceivedAtMs + proven.slash.amount;
}
export async function withheld(deviceId: Hex): Promise<bigint[]> {
  const { entries } = await client.getDeviceHistoryRange(1n, deviceId, { fromEpoch: 0n, toEpoch: 9n });
  return entries.flatMap((e) => {
    // @ts-expect-error an absence carries no line
    if (e.status === "absent") return [e.line.reward];
    return e.status === "line" ? [e.line.reward] : [];
  });
}
// @ts-expect-error an option the client does not have
createFeedClient({ nodes: [], chainId: 1, settlement: "0x00", signers: [], retry: 1 });
`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2024", "DOM", "DOM.AsyncIterable"],
          types: [],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ["check.ts"],
      }),
    );
    await run(process.execPath, [TSC, "-p", "tsconfig.json"], { cwd: project }).catch(
      (error: { stdout?: string }) => {
        throw new Error(`tsc rejected check.ts against the package's types:\n${error.stdout}`, {
          cause: error,
        });
      },
    );
  }, 300_000);
});
