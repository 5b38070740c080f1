// cre-latency: how long from a trigger to a confirmed settlement transaction, with Vigil's real
// epoch-settlement workflow on a 4-node in-process DON, anvil, the real KeystoneForwarder and
// VigilSettlement; and the host's own per-execution cost with no I/O at all.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { BenchScenario } from "../../../scripts/bench/scenario";
import { bundleWorkflow } from "../bundle";
import { createCreHost } from "../host";
import { startLocalDon } from "../localDon";
import { workflowNameToBytes10 } from "../report";
import { ANVIL_CHAIN_SELECTOR, deployVigil, startCreTestChain } from "../testChain";
import { createInProcessDon } from "../transport";

const OWNER = "0x4444444444444444444444444444444444444444" as const;
const workflows = new URL("../../../workflows/", import.meta.url).pathname;

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { median: round(at(0.5)), p95: round(at(0.95)), min: round(s[0]!), max: round(s.at(-1)!) };
}

async function settlementLatency(iterations: number) {
  const chain = await startCreTestChain();
  const vigil = await deployVigil(chain, {
    workflowOwner: OWNER,
    settleName: workflowNameToBytes10("vigil-epoch-settlement"),
    slashName: workflowNameToBytes10("vigil-fraud-slashing"),
    genesisAgoS: 1_000_000n,
  });
  // The node API: an agreed result for whichever epoch is asked.
  const api = createServer((req, res) => {
    const m = /^\/v1\/networks\/(\d+)\/epochs\/(\d+)$/.exec(req.url ?? "");
    res.setHeader("content-type", "application/json");
    if (!m) {
      res.statusCode = 404;
      res.end("{}");
      return;
    }
    res.end(
      JSON.stringify({
        networkId: m[1],
        epoch: m[2],
        resultRoot: keccak256(toHex(`root-${m[2]}`)),
        observationsCommitment: keccak256(toHex(`obs-${m[2]}`)),
        deviceCount: 100,
        totalReward: "1000000000000000000",
        totalSlash: "0",
        settled: false,
        slashes: [],
        votes: [],
      }),
    );
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  let confirmedAt = 0;
  const don = await startLocalDon({
    bundle: await bundleWorkflow(`${workflows}epoch-settlement/main.ts`),
    config: new TextEncoder().encode(
      JSON.stringify({
        networkId: vigil.networkId.toString(),
        schedule: "0 * * * * *",
        nodeApiUrl: apiUrl,
        chainSelectorName: "anvil-devnet",
        settlement: vigil.settlement.address,
        gasLimit: "1000000",
      }),
    ),
    workflow: { name: "vigil-epoch-settlement", owner: OWNER },
    donId: chain.donId,
    configVersion: chain.configVersion,
    f: chain.f,
    signerKeys: chain.signerKeys,
    transmitterKeys: chain.transmitterKeys,
    chain: {
      chainSelector: ANVIL_CHAIN_SELECTOR,
      chainId: chain.anvil.chainId,
      rpcUrl: chain.anvil.rpcUrl,
      forwarder: chain.forwarder,
    },
    transmitDelayMs: 400,
    onWrite: (_node, w) => {
      if (w.sentByThisNode && w.txHash) confirmedAt = performance.now();
    },
  });
  const samples: number[] = [];
  try {
    for (let i = 0; i <= iterations; i++) {
      confirmedAt = 0;
      const started = performance.now();
      const outcomes = await don.fireCron(new Date(Date.UTC(2026, 0, 1, 0, i)));
      const failed = outcomes.find((o) => !o.ok);
      if (failed) throw new Error(`execution failed: ${failed.error}`);
      if (!confirmedAt) throw new Error("no node confirmed a settlement transaction");
      // The first round warms the workers (bundle compilation); it is not counted.
      if (i > 0) samples.push(confirmedAt - started);
    }
  } finally {
    await don.stop();
    await new Promise((r) => api.close(r));
    await chain.stop();
  }
  return stats(samples);
}

async function hostOverhead(iterations: number) {
  const signer = privateKeyToAccount("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");
  const host = await createCreHost({
    bundle: await bundleWorkflow(`${workflows}examples/host-checks/main.ts`),
    config: new TextEncoder().encode(JSON.stringify({ label: "bench" })),
    workflow: { name: "host-checks", owner: OWNER },
    don: { id: 1, configVersion: 1, members: [signer.address], f: 0, transport: createInProcessDon(1)[0]! },
    signer,
    capabilities: [],
  });
  const input = new TextEncoder().encode(JSON.stringify({ case: "echo" }));
  const samples: number[] = [];
  try {
    for (let i = 0; i <= iterations; i++) {
      const started = performance.now();
      const out = await host.fireHttp(input, { eventId: `bench-${i}` });
      if (!out.ok) throw new Error(out.error);
      if (i > 0) samples.push(performance.now() - started);
    }
  } finally {
    await host.stop();
  }
  return stats(samples);
}

export const scenario: BenchScenario = {
  name: "cre-latency",
  description:
    "epoch-settlement on a 4-node DON: trigger to confirmed settlement tx on anvil (goal ≤ 300 ms), and host overhead per execution without I/O",
  async run(args) {
    const iterations = Number(args[0] ?? 20);
    const settlement = await settlementLatency(iterations);
    const overhead = await hostOverhead(Math.max(iterations, 30));
    return {
      iterations,
      nodes: 4,
      triggerToConfirmedMs: settlement,
      goalMs: 300,
      meetsGoal: settlement.median <= 300,
      hostOverheadPerExecutionMs: overhead,
    };
  },
};
