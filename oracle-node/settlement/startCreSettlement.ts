// Runs Vigil's two CRE workflows inside the node: epoch-settlement on a cron schedule (it reads the
// agreed result from this node's own feed API and writes nothing until there is one) and
// fraud-slashing on request. Reports reach the settlement contract through the real KeystoneForwarder.
// The DON is followed live (`createDonFollower`): each membership runs as one generation of hosts,
// replaced without a restart when the forwarder is reconfigured or a member's operator joins or exits.
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
  createLibp2pDonRouter,
  createNodeCapabilities,
  type DonTransport,
  type ExecutionOutcome,
  nodeSecrets,
  startCronTriggers,
  type WorkflowBundle,
  workflowNameToBytes10,
} from "../cre-host/index";
import type { Logger } from "../logger";
import type { P2P } from "../p2p/index";
import { SettlementError } from "./errors";
import { createDonFollower } from "./followDon";
import type { DonMembership } from "./resolveDon";

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
  /** The registry's operators as the node follows them (its chain view), read at every DON poll. */
  operators: () => readonly OperatorInfo[];
  pollingIntervalMs?: number;
  /** How often the forwarder's `ConfigSet` logs are polled (default 2 s). */
  donPollMs?: number;
  /**
   * How long executions started under a membership may go on after it is replaced, before they are
   * cut short (default 30 s: a consensus timeout of 10 s, then a transmission turn and its receipt).
   */
  drainMs?: number;
}

export interface CreSettlementModules {
  client: PublicClient;
  p2p: P2P;
  logger: Logger;
  metrics?: Registry;
}

export interface CreSettlement {
  /** The DON as last read from the forwarder and the registry; undefined while it has no config. */
  readonly don: DonMembership | undefined;
  /** Whether this node takes part in that DON now (its CRE hosts run). */
  readonly member: boolean;
  /** The workflow names in use (what the settlement contract accepts). */
  readonly workflows: { epochSettlement: string; fraudSlashing: string };
  /** Runs fraud-slashing for one evidence bundle; every DON member must be asked the same (same body). */
  fraudSlash(networkId: bigint, evidence: Hex): Promise<ExecutionOutcome>;
  /** Reads the forwarder's new `ConfigSet` logs and switches membership now (normally on a timer). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/** The hosts of one membership: started when the node becomes a member, drained when it is replaced. */
interface Generation {
  don: DonMembership;
  transport: DonTransport;
  hosts: CreHost[];
  crons: { stop(): void }[];
  slashers: Map<bigint, CreHost>;
  /** Executions started and not yet ended. */
  inFlight: Set<Promise<ExecutionOutcome>>;
  retired: boolean;
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

/** Why this node cannot run `don` (undefined: it can). */
function notRunnable(don: DonMembership | undefined, self: Address, peerId: string): string | undefined {
  if (!don) return "the forwarder has no config for the DON";
  const i = don.members.indexOf(self);
  if (i < 0)
    return don.signers.includes(self)
      ? "this node's operator is not an active registered operator with a peer id"
      : "this node's signer is not one of the forwarder's signers";
  if (don.peerIds[i] !== peerId) return "the registry holds another peer id for this node's signer";
  if (don.members.length < 2 * don.f + 1)
    return `only ${don.members.length} signers are active operators; f=${don.f} needs ${2 * don.f + 1}`;
  return undefined;
}

/**
 * Bundles both workflows, follows the DON on the forwarder and starts the settlement schedule
 * whenever this node is a member. Membership changes are applied one at a time, in order: the old
 * generation stops taking new triggers at once, its executions get up to `drainMs` to end, then its
 * hosts stop and the new one starts (on its own gossip scope, so two versions never share a round).
 */
export async function startCreSettlement(
  o: CreSettlementOptions,
  m: CreSettlementModules,
): Promise<CreSettlement> {
  const log = m.logger.child({ module: "cre" });
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
  const follower = createDonFollower(
    {
      forwarder: o.chain.forwarder,
      donId: o.cre.donId,
      configVersion: o.cre.configVersion,
      fromBlock: o.cre.fromBlock,
      operators: o.operators,
      pollIntervalMs: o.donPollMs,
    },
    { client: m.client, logger: m.logger },
  );
  await follower.start();
  const first = follower.current();
  const why = notRunnable(first, o.account.address, m.p2p.peerId);
  // `cre.enabled = true` asks for a node that settles: one that cannot at start is a configuration
  // error the operator must see now. Otherwise the node waits for a ConfigSet that adds it.
  if (why && o.cre.required) {
    follower.stop();
    throw first
      ? new SettlementError(
          "NOT_A_DON_MEMBER",
          `this node (signer ${o.account.address}) cannot take part in DON ${first.donId} version ${first.configVersion} on forwarder ${o.chain.forwarder}: ${why}`,
          { signer: o.account.address, members: first.members, configVersion: first.configVersion },
        )
      : new SettlementError(
          "DON_NOT_CONFIGURED",
          `forwarder ${o.chain.forwarder} has no config for DON ${o.cre.donId}${o.cre.configVersion === undefined ? "" : ` version ${o.cre.configVersion}`}`,
          { forwarder: o.chain.forwarder, donId: o.cre.donId, configVersion: o.cre.configVersion },
        );
  }
  const [settleBundle, slashBundle] = await Promise.all([
    bundleOnce(join(o.cre.workflowsDir, VIGIL_WORKFLOWS.epochSettlement.dir, "main.ts")),
    bundleOnce(join(o.cre.workflowsDir, VIGIL_WORKFLOWS.fraudSlashing.dir, "main.ts")),
  ]);

  const router = createLibp2pDonRouter({ p2p: m.p2p });
  const secrets = nodeSecrets({ VIGIL_NODE_API_URL: o.apiUrl, ...o.cre.secrets });
  const metrics = m.metrics ? createCreHostMetrics(m.metrics) : undefined;
  const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  const drainMs = o.drainMs ?? 30_000;
  let current: Generation | undefined;
  let stopped = false;

  const startGeneration = async (don: DonMembership): Promise<Generation> => {
    const self = don.members.indexOf(o.account.address);
    const transport = router.transport({ peerIds: don.peerIds, scope: don.scope });
    const gen: Generation = {
      don,
      transport,
      hosts: [],
      crons: [],
      slashers: new Map(),
      inFlight: new Set(),
      retired: false,
    };
    const track = (run: Promise<ExecutionOutcome>) => {
      gen.inFlight.add(run);
      void run.finally(() => gen.inFlight.delete(run));
      return run;
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
      const common = {
        // The report metadata carries this version: the forwarder checks the signatures against
        // configId = donId << 32 | configVersion.
        don: { id: don.donId, configVersion: don.configVersion, members: don.members, f: don.f, transport },
        signer: o.account,
        capabilities,
        secrets,
        metrics,
        log: (line: { executionId: Hex; message: string }) => log.debug(line, "workflow log"),
      };
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
        gen.hosts.push(settle);
        const slash = await createCreHost({
          ...common,
          bundle: slashBundle,
          workflow: slashWf,
          config: json({ ...shared, registry, slashAmount: o.cre.slashAmount, authorizedKeys: [] }),
        });
        gen.hosts.push(slash);
        gen.slashers.set(networkId, slash);
        const tracked: CreHost = { ...settle, fireCron: (at, i) => track(settle.fireCron(at, i)) };
        gen.crons.push(
          startCronTriggers(tracked, (outcome) => {
            // Executions cut short by shutdown or a membership change are not failures worth a warning.
            if (stopped || gen.retired) return;
            if (!outcome.ok)
              log.warn(
                { networkId, executionId: outcome.executionId, error: outcome.error },
                "settlement run failed",
              );
            else if (typeof outcome.value === "string" && outcome.value.startsWith("settled"))
              log.info(
                { networkId, configVersion: don.configVersion, result: outcome.value },
                "epoch settlement written",
              );
            else log.debug({ networkId, result: outcome.value }, "settlement tick");
          }),
        );
      }
    } catch (error) {
      await closeGeneration(gen);
      throw error;
    }
    log.info(
      {
        self,
        configVersion: don.configVersion,
        members: don.members.length,
        f: don.f,
        workflows: [settleWf.name, slashWf.name],
      },
      "CRE host started",
    );
    return gen;
  };

  const closeGeneration = async (gen: Generation) => {
    gen.retired = true;
    for (const c of gen.crons.splice(0)) c.stop();
    await Promise.allSettled(gen.hosts.splice(0).map((h) => h.stop()));
    await gen.transport.close();
  };

  /** Ends a node's stop's wait for executions to drain. */
  let stopNow = () => {};
  const stopping = new Promise<void>((r) => {
    stopNow = r;
  });
  /** Stops new triggers now; lets running executions end (up to `drainMs`), then closes the hosts. */
  const retire = async (gen: Generation, reason: string): Promise<void> => {
    gen.retired = true;
    for (const c of gen.crons.splice(0)) c.stop();
    log.info(
      { configVersion: gen.don.configVersion, inFlight: gen.inFlight.size, reason },
      "CRE host leaves its membership",
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(r, drainMs);
    });
    await Promise.race([Promise.allSettled([...gen.inFlight]), timeout, stopping]);
    clearTimeout(timer);
    await closeGeneration(gen);
  };

  /** Moves to `don`: one switch at a time, in the order the follower saw the changes. */
  let switching: Promise<void> = Promise.resolve();
  let startError: unknown;
  const switchTo = (don: DonMembership | undefined): Promise<void> => {
    switching = switching.then(async () => {
      if (stopped) return;
      const why = notRunnable(don, o.account.address, m.p2p.peerId);
      const old = current;
      current = undefined;
      // The old membership drains before the new one starts: this node then never runs two
      // executions of one epoch's settlement at once (one per version), each sending a transaction
      // the contract would refuse the second of. A switch waits at most `drainMs` for it.
      if (old)
        await retire(
          old,
          why ?? `DON version ${don!.configVersion} replaces version ${old.don.configVersion}`,
        );
      if (why) {
        log.warn(
          { donId: o.cre.donId, configVersion: don?.configVersion, reason: why },
          "not a member of the DON: this node verifies but does not settle",
        );
        return;
      }
      try {
        current = await startGeneration(don!);
        startError = undefined;
      } catch (err) {
        startError = err;
        // The next membership change tries again; the node keeps verifying meanwhile.
        log.error({ err, configVersion: don!.configVersion }, "CRE host not started for the new membership");
      }
    });
    return switching;
  };
  // The latest membership, not `first`: the follower kept polling while the workflows were bundled.
  follower.onChange((don) => void switchTo(don));
  await switchTo(follower.current());
  if (o.cre.required && !current) {
    await stop();
    throw startError;
  }

  async function stop(): Promise<void> {
    stopped = true;
    stopNow();
    follower.stop();
    await switching;
    if (current) await retire(current, "node stopping");
    current = undefined;
    router.close();
  }

  return {
    get don() {
      return follower.current();
    },
    get member() {
      return current !== undefined;
    },
    workflows: { epochSettlement: settleWf.name, fraudSlashing: slashWf.name },
    async fraudSlash(networkId, evidence) {
      if (!o.networks.includes(networkId))
        throw new SettlementError("INVALID_EVIDENCE", `this node does not serve network ${networkId}`, {
          networkId,
        });
      if (!isHex(evidence) || evidence.length < 4 || evidence.length % 2 !== 0)
        throw new SettlementError("INVALID_EVIDENCE", "evidence must be 0x-prefixed hex bytes");
      const gen = current;
      const host = gen?.slashers.get(networkId);
      if (!gen || !host)
        throw new SettlementError("NOT_A_DON_MEMBER", "this node is not a member of the DON now", {
          signer: o.account.address,
        });
      const run = host.fireHttp(new TextEncoder().encode(JSON.stringify({ evidence })));
      gen.inFlight.add(run);
      void run.finally(() => gen.inFlight.delete(run));
      const outcome = await run;
      log.info(
        { networkId, ok: outcome.ok, result: outcome.value, error: outcome.error },
        "fraud slashing ran",
      );
      return outcome;
    },
    refresh: () => follower.poll(),
    stop,
  };
}
