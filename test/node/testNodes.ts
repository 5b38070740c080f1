// Starts `count` oracle nodes in this process the way an operator would (init, register, start),
// each bootstrapping from the ones before it so they form a full mesh.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initNode } from "../../oracle-node/cli/index";
import { loadConfig } from "../../oracle-node/config/index";
import { type StartNodeOptions, startNode, type VigilNode } from "../../oracle-node/node";
import type { Anvil } from "../../scripts/devnet/anvil";
import type { Deployed } from "./chainFixture";

export async function startTestNodes(o: {
  anvil: Anvil;
  chain: Deployed;
  networkId: bigint;
  count: number;
  env?: Record<string, string>;
  options?: StartNodeOptions;
}): Promise<VigilNode[]> {
  const dirs: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const dir = mkdtempSync(join(tmpdir(), `vigil-node${i}-`));
    const init = await initNode({
      dir,
      networks: [o.networkId],
      apiPort: 0,
      gatewayPort: 0,
      adminPort: 0,
      p2pPort: 0,
      rpcUrls: [o.anvil.rpcUrl],
      chainId: o.anvil.chainId,
    });
    await o.chain.registerOperator(init.signer, init.peerId);
    dirs.push(dir);
  }
  const nodes: VigilNode[] = [];
  try {
    for (const dir of dirs) {
      const config = loadConfig({
        path: join(dir, "node.toml"),
        env: {
          VIGIL_LOG_LEVEL: "warn",
          VIGIL_P2P_LISTEN: "/ip4/127.0.0.1/tcp/0",
          VIGIL_P2P_BOOTSTRAP: nodes.flatMap((n) => n.p2p.addresses()).join(","),
          VIGIL_CHAIN_SETTLEMENT: o.chain.settlement,
          VIGIL_CHAIN_REGISTRY: o.chain.registry,
          VIGIL_CHAIN_FORWARDER: o.chain.forwarder,
          VIGIL_CHAIN_TOKEN: o.chain.token,
          ...o.env,
        },
      });
      nodes.push(
        await startNode(config, {
          defaultMetrics: false,
          pollingIntervalMs: 50,
          heartbeatIntervalMs: 100,
          logDestination: { write: () => {} },
          agreement: {
            proposeTimeoutMs: 3_000,
            stepTimeoutMs: 1_000,
            timeoutDeltaMs: 500,
            observationGraceMs: 300,
          },
          ...o.options,
        }),
      );
    }
  } catch (error) {
    for (const n of nodes.reverse()) await n.close();
    throw error;
  }
  return nodes;
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
