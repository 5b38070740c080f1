// The `vigil node` CLI as an operator runs it: separate processes, real files, real signals.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Anvil, startAnvil } from "../../scripts/devnet/anvil";
import { type Deployed, deployChainFixture } from "./chainFixture";

const ROOT = join(import.meta.dirname, "..", "..");

function vigil(args: string[], env: Record<string, string> = {}): ChildProcess & { output: () => string } {
  // One process (no tsx wrapper), so a signal reaches the node itself.
  const child = spawn(process.execPath, ["--no-warnings", "--import", "tsx", "scripts/vigil.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on("data", (b: Buffer) => {
    out += b.toString();
  });
  return Object.assign(child, { output: () => out });
}

function exit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

let anvil: Anvil;
let chain: Deployed;
let dir: string;

beforeAll(async () => {
  anvil = await startAnvil();
  chain = await deployChainFixture(anvil);
  await chain.registerNetwork({ epochLength: 60, k: 1 });
  dir = mkdtempSync(join(tmpdir(), "vigil-cli-"));
});
afterAll(async () => {
  await anvil?.stop();
});

describe("vigil node", () => {
  it("init writes keys (0600) and a config; start refuses a bad config naming the key", async () => {
    // Encrypted keystores (the default), with the password in a file node.toml names; a small scrypt cost.
    writeFileSync(join(dir, "keystore-password"), "cli test password\n", { mode: 0o600 });
    const init = vigil([
      "node",
      "init",
      "--dir",
      dir,
      "--networks",
      "1",
      "--api-port",
      "0",
      "--p2p-port",
      "0",
      "--rpc-url",
      anvil.rpcUrl,
      "--password-file",
      join(dir, "keystore-password"),
      "--scrypt-n",
      "1024",
    ]);
    expect(await exit(init)).toBe(0);
    expect(init.output()).toContain("keys:     encrypted keystores");
    expect(init.output()).toMatch(/peer id: {2}12D3KooW\w+/);
    expect(init.output()).toMatch(/signer: {3}0x[0-9a-fA-F]{40}/);
    for (const f of ["data/peer.key", "data/eth.key", "node.toml"])
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    // A second init keeps the keys and refuses to overwrite the config without --force.
    const again = vigil(["node", "init", "--dir", dir, "--networks", "1"]);
    expect(await exit(again)).toBe(1);
    expect(again.output()).toMatch(/node\.toml exists; pass --force/);

    const bad = vigil(["node", "start", "-c", join(dir, "node.toml")], { VIGIL_API_PORT: "eighty" });
    expect(await exit(bad)).toBe(1);
    expect(bad.output()).toContain("api.port (from VIGIL_API_PORT)");
    expect(bad.output()).toContain("chain.settlement: expected a contract address");
    expect(bad.output()).not.toMatch(/\n\s+at /); // an operator error, not a stack trace
  });

  it("start with a wrong keystore password exits naming the key file and the password's source", async () => {
    const wrong = vigil(["node", "start", "-c", join(dir, "node.toml")], {
      VIGIL_CHAIN_SETTLEMENT: chain.settlement,
      VIGIL_CHAIN_REGISTRY: chain.registry,
      VIGIL_CHAIN_FORWARDER: chain.forwarder,
      VIGIL_CHAIN_TOKEN: chain.token,
      VIGIL_KEYSTORE_PASSWORD: "not the password",
    });
    expect(await exit(wrong)).toBe(1);
    expect(wrong.output()).toMatch(
      /error: wrong password for .*data\/eth\.key \(password from VIGIL_KEYSTORE_PASSWORD\)/,
    );
    expect(wrong.output()).not.toMatch(/\n\s+at /);
  });

  it("start serves the API, status reads it, SIGTERM shuts down cleanly", async () => {
    const env = {
      VIGIL_CHAIN_SETTLEMENT: chain.settlement,
      VIGIL_CHAIN_REGISTRY: chain.registry,
      VIGIL_CHAIN_FORWARDER: chain.forwarder,
      VIGIL_CHAIN_TOKEN: chain.token,
      VIGIL_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
      VIGIL_API_PORT: "0",
      VIGIL_GATEWAY_PORT: "0",
      VIGIL_ADMIN_PORT: "0",
    };
    const node = vigil(["node", "start", "-c", join(dir, "node.toml")], env);
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!url) {
        if (Date.now() > deadline || node.exitCode !== null)
          throw new Error(`node did not start:\n${node.output()}`);
        // `vigil node status` talks to the admin listener (metrics, /admin, and the probes).
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+)","msg":"admin listening"/.exec(node.output())?.[1];
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await fetch(`${url}/health`)).status).toBe(200);
      // Written by `node init`: the gateway and admin listeners each on their own port.
      expect(readFileSync(join(dir, "node.toml"), "utf8")).toMatch(
        /^\[gateway\]\n(#.*\n)*host = "127\.0\.0\.1"\nport = 8081$/m,
      );
      // The token comes from the config file (which needs the same environment to validate).
      const status = vigil(["node", "status", "-c", join(dir, "node.toml"), "--url", url], env);
      expect(await exit(status), status.output()).toBe(0);
      const parsed = JSON.parse(status.output()) as { status: { peerId: string }; ready: { ready: boolean } };
      expect(parsed.status.peerId).toMatch(/^12D3KooW/);
      // Not registered on chain yet: alive but not ready.
      expect(parsed.ready.ready).toBe(false);
      const noToken = vigil(["node", "status", "--url", url, "--token", "wrong-token-wrong-token"]);
      expect(await exit(noToken)).toBe(1);
      expect(noToken.output()).toMatch(/HTTP 401 UNAUTHORIZED/);
    } finally {
      node.kill("SIGTERM");
    }
    expect(await exit(node)).toBe(0);
    expect(node.output()).toMatch(/"msg":"shutting down"/);
    expect(node.output()).toMatch(/"msg":"node stopped"/);
  });
});
