// Runs Vigil's two CRE workflows inside the node: epoch-settlement on a cron schedule (it reads the
// agreed result from this node's own feed API and writes nothing until there is one) and
// fraud-slashing on request. Reports reach the settlement contract through the real KeystoneForwarder.
import { join } from "node:path";
import type { Registry } from "prom-client";
import { type Address, type Hex, isHex, type PrivateKeyAccount, type PublicClient, parseAbi } from "viem";
import type { OperatorInfo } from "../chain/index";
import type { CreConfig } from "../config/index";
import {
  bundleWorkflow,
  type CreHost,
  createCreHost,
  createCreHostMetrics,
  createLibp2pDonTransport,
  createNodeCapabilities,
  type ExecutionOutcome,
  nodeSecrets,
  startCronTriggers,
  type WorkflowBundle,
  workflowNameToBytes10,
} from "../cre-host/index";
import type { Logger } from "../logger";
import type { P2P } from "../p2p/index";
import { SettlementError } from "./errors";
import { type DonMembership, readDon } from "./readDon";

/** Vigil's workflows: report kind, folder under `workflows/`, and the names a deployment may accept. */
export const VIGIL_WORKFLOWS = {
  epochSettlement: {
    kind: 1,
    dir: "epoch-settlement",
    names: ["vigil-epoch-settlement", "epoch-settlement"],
  },
  fraudSlashing: { kind: 2, dir: "fraud-slashing", names: ["vigil-fraud-slashing", "fraud-slashing"] },
} as const;

/** `nodeApiUrl` in the shared workflow config; the secret `VIGIL_NODE_API_URL` (this node's API) wins. */
const SHARED_API_PLACEHOLDER = "http://127.0.0.1:8080";

const settlementAbi = parseAbi([
  "function workflow(uint8 kind) view returns ((address owner, bytes10 name))",
  "function registry() view returns (address)",
]);

// Bundling costs ~1 s of esbuild per workflow; nodes sharing a process (tests) share bundles.
const bundles = new Map<string, Promise<WorkflowBundle>>();
const bundleOnce = (entry: string) => {
  let b = bundles.get(entry);
  if (!b) {
    b = bundleWorkflow(entry);
    bundles.set(entry, b);
    b.catch(() => bundles.delete(entry));
  }
  return b;
};

export interface CreSettlementOptions {
  cre: CreConfig;
  networks: readonly bigint[];
  /**
   * `registry`, when given (the deployment's), must be the one the settlement contract slashes
   * through; the fraud-slashing workflow reads the assignment from that one either way.
   */
  chain: { chainId: number; rpcUrl: string; forwarder: Address; settlement: Address; registry?: Address };
  /** This node's Ethereum key: a forwarder signer, and the transmitter that pays for reports. */
  account: PrivateKeyAccount;
  /** This node's own API, which the epoch-settlement workflow reads agreed results from. */
  apiUrl: string;
  /** Performs the workflows' HTTP requests (default the global fetch); see `inProcessFetch`. */
  apiFetch?: typeof fetch;
  operators: readonly OperatorInfo[];
  pollingIntervalMs?: number;
}

export interface CreSettlementModules {
  client: PublicClient;
  p2p: P2P;
  logger: Logger;
  metrics?: Registry;
}

export interface CreSettlement {
  readonly don: DonMembership;
  /** The workflow names in use (what the settlement contract accepts). */
  readonly workflows: { epochSettlement: string; fraudSlashing: string };
  /** Runs fraud-slashing for one evidence bundle; every DON member must be asked the same (same body). */
  fraudSlash(networkId: bigint, evidence: Hex): Promise<ExecutionOutcome>;
  stop(): Promise<void>;
}

/** Picks the workflow name whose `bytes10` the settlement contract accepts for a report kind. */
async function acceptedWorkflow(
  client: PublicClient,
  settlement: Address,
  w: (typeof VIGIL_WORKFLOWS)[keyof typeof VIGIL_WORKFLOWS],
): Promise<{ owner: Hex; name: string }> {
  const accepted = await client.readContract({
    address: settlement,
    abi: settlementAbi,
    functionName: "workflow",
    args: [w.kind],
  });
  const name = w.names.find((n) => workflowNameToBytes10(n).toLowerCase() === accepted.name.toLowerCase());
  if (!name || /^0x0+$/.test(accepted.owner))
    throw new SettlementError(
      "WORKFLOW_NOT_ACCEPTED",
      `settlement ${settlement} accepts no ${w.dir} workflow for report kind ${w.kind} (configured: owner ${accepted.owner}, name ${accepted.name}; expected setWorkflow(${w.kind}, owner, workflowNameToBytes10("${w.names[0]}")))`,
      { kind: w.kind, owner: accepted.owner, name: accepted.name },
    );
  return { owner: accepted.owner, name };
}

/** Bundles both workflows, joins the DON over libp2p and starts the settlement schedule. */
export async function startCreSettlement(
  o: CreSettlementOptions,
  m: CreSettlementModules,
): Promise<CreSettlement> {
  const log = m.logger.child({ module: "cre" });
  const don = await readDon(m.client, {
    forwarder: o.chain.forwarder,
    donId: o.cre.donId,
    configVersion: o.cre.configVersion,
    fromBlock: o.cre.fromBlock,
    operators: o.operators,
  });
  const self = don.members.indexOf(o.account.address);
  if (self < 0)
    throw new SettlementError(
      "NOT_A_DON_MEMBER",
      `this node's signer ${o.account.address} is not a signer of DON ${don.donId} on forwarder ${o.chain.forwarder}`,
      { signer: o.account.address, members: don.members },
    );
  const [settleWf, slashWf, registry] = await Promise.all([
    acceptedWorkflow(m.client, o.chain.settlement, VIGIL_WORKFLOWS.epochSettlement),
    acceptedWorkflow(m.client, o.chain.settlement, VIGIL_WORKFLOWS.fraudSlashing),
    m.client.readContract({ address: o.chain.settlement, abi: settlementAbi, functionName: "registry" }),
  ]);
  // Who may slash is decided by the assignment in the registry the settlement slashes through: a
  // deployment file naming another one is a configuration error, not a second source of truth.
  if (o.chain.registry && o.chain.registry.toLowerCase() !== registry.toLowerCase())
    throw new SettlementError(
      "REGISTRY_MISMATCH",
      `settlement ${o.chain.settlement} slashes through registry ${registry}, not the configured ${o.chain.registry}`,
      { configured: o.chain.registry, registry },
    );
  const [settleBundle, slashBundle] = await Promise.all([
    bundleOnce(join(o.cre.workflowsDir, VIGIL_WORKFLOWS.epochSettlement.dir, "main.ts")),
    bundleOnce(join(o.cre.workflowsDir, VIGIL_WORKFLOWS.fraudSlashing.dir, "main.ts")),
  ]);

  const transport = createLibp2pDonTransport({ p2p: m.p2p, peerIds: don.peerIds });
  const hosts: CreHost[] = [];
  const crons: { stop(): void }[] = [];
  const slashers = new Map<bigint, CreHost>();
  let stopped = false;
  const stop = async () => {
    stopped = true;
    for (const c of crons.splice(0)) c.stop();
    await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
    await transport.close();
  };
  try {
    const capabilities = createNodeCapabilities({
      self,
      donSize: don.members.length,
      transmitDelayMs: o.cre.transmitDelayMs,
      pollingInterval: o.pollingIntervalMs,
      ...(o.apiFetch && { http: { fetch: o.apiFetch } }),
      chains: [
        {
          chainSelector: o.cre.chainSelector,
          chainId: o.chain.chainId,
          rpcUrl: o.chain.rpcUrl,
          forwarder: o.chain.forwarder,
          transmitter: o.account,
        },
      ],
    });
    const secrets = nodeSecrets({ VIGIL_NODE_API_URL: o.apiUrl, ...o.cre.secrets });
    const metrics = m.metrics ? createCreHostMetrics(m.metrics) : undefined;
    const common = {
      don: { id: don.donId, configVersion: don.configVersion, members: don.members, f: don.f, transport },
      signer: o.account,
      capabilities,
      secrets,
      metrics,
      log: (line: { executionId: Hex; message: string }) => log.debug(line, "workflow log"),
    };
    const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    for (const networkId of o.networks) {
      const shared = {
        networkId: networkId.toString(),
        chainSelectorName: o.cre.chainSelectorName,
        settlement: o.chain.settlement,
        gasLimit: String(o.cre.gasLimit),
      };
      const settle = await createCreHost({
        ...common,
        bundle: settleBundle,
        workflow: settleWf,
        // The config is part of the workflow id, which every member must compute alike: no
        // per-node values here. Each node reaches its own API through the secret instead.
        config: json({ ...shared, schedule: o.cre.settleSchedule, nodeApiUrl: SHARED_API_PLACEHOLDER }),
      });
      hosts.push(settle);
      const slash = await createCreHost({
        ...common,
        bundle: slashBundle,
        workflow: slashWf,
        config: json({ ...shared, registry, slashAmount: o.cre.slashAmount, authorizedKeys: [] }),
      });
      hosts.push(slash);
      slashers.set(networkId, slash);
      crons.push(
        startCronTriggers(settle, (outcome) => {
          // Executions cut short by shutdown are not failures worth a warning.
          if (stopped) return;
          if (!outcome.ok)
            log.warn(
              { networkId, executionId: outcome.executionId, error: outcome.error },
              "settlement run failed",
            );
          else if (typeof outcome.value === "string" && outcome.value.startsWith("settled"))
            log.info({ networkId, result: outcome.value }, "epoch settlement written");
          else log.debug({ networkId, result: outcome.value }, "settlement tick");
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  log.info(
    { self, members: don.members.length, f: don.f, workflows: [settleWf.name, slashWf.name] },
    "CRE host started",
  );

  return {
    don,
    workflows: { epochSettlement: settleWf.name, fraudSlashing: slashWf.name },
    async fraudSlash(networkId, evidence) {
      const host = slashers.get(networkId);
      if (!host)
        throw new SettlementError("INVALID_EVIDENCE", `this node does not serve network ${networkId}`, {
          networkId,
        });
      if (!isHex(evidence) || evidence.length < 4 || evidence.length % 2 !== 0)
        throw new SettlementError("INVALID_EVIDENCE", "evidence must be 0x-prefixed hex bytes");
      const outcome = await host.fireHttp(new TextEncoder().encode(JSON.stringify({ evidence })));
      log.info(
        { networkId, ok: outcome.ok, result: outcome.value, error: outcome.error },
        "fraud slashing ran",
      );
      return outcome;
    },
    stop,
  };
}
