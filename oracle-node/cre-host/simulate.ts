import { access, readFile, stat } from "node:fs/promises";
import { basename, isAbsolute, join, resolve } from "node:path";
import { EVM_PB } from "@chainlink/cre-sdk/pb";
import { type Address, createPublicClient, type Hex, http } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { bundleWorkflow } from "./bundle";
import type { WriteRecord } from "./capabilities/evm";
import { toLogProto } from "./capabilities/evm";
import { checkBroadcast } from "./checkBroadcast";
import { CreHostError } from "./errors";
import type { ExecutionOutcome, Subscription } from "./host";
import { readLimitsFile } from "./limitsFile";
import { startLocalDon } from "./localDon";
import { logFilterMismatch } from "./logTriggers";
import { type CreLimits, noLimits, SIMULATOR_HTTP_RESPONSE_BYTES, simulatorLimits } from "./options";
import {
  findDotEnv,
  readDotEnv,
  readSecretsYaml,
  readWorkflowTargets,
  type WorkflowTarget,
} from "./workflowProject";

export { readWorkflowYaml } from "./workflowProject";

/** anvil's chain id and CRE's chain selector for it (the SDK's "anvil-devnet"). */
const ANVIL = { chainId: 31337, selector: 7759470850252068959n };

export interface SimulateOptions {
  /** The workflow folder; a relative one is resolved against `projectRoot` when that is given. */
  workflowDir: string;
  /**
   * The CRE project's root (the CLI's `--project-root`): relative workflow folders are resolved
   * against it, and it bounds the search for `.env`. It must exist.
   */
  projectRoot?: string;
  /** `workflow.yaml` target (default "local-simulation"); names the workflow, its source, config and secrets. */
  target?: string;
  /** Config file, overriding the target's. */
  configPath?: string;
  /** Run without a config file: the workflow gets an empty config (the CLI's `--no-config`). */
  noConfig?: boolean;
  triggerIndex?: number;
  /** Refuse to pick a trigger: `triggerIndex` must be given (the CRE CLI's `--non-interactive`). */
  nonInteractive?: boolean;
  /** HTTP trigger body: JSON, or a JSON file's path (with or without a leading `@`). */
  httpPayload?: string;
  evmTxHash?: Hex;
  evmEventIndex?: number;
  broadcast?: boolean;
  rpcUrl: string;
  chainSelector?: bigint;
  forwarder?: Address;
  /** Workflow owner written into report metadata. */
  owner: Hex;
  /** Report signer keys of the simulated DON (the forwarder's signers); default: 4 fresh keys. */
  signerKeys?: Hex[];
  /** Pays for `--broadcast` writes; default `CRE_ETH_PRIVATE_KEY` from the environment or `.env`. */
  transmitterKey?: Hex;
  /** DON id and config version written into reports (the forwarder's config for them signs off); default 1/1. */
  donId?: number;
  configVersion?: number;
  /**
   * "default" (the CRE CLI's simulation limits), "none", or the path of a limits file in the CRE
   * CLI's format (`cre workflow limits export`), read over the defaults.
   */
  limits?: string;
  /** The `.env` file (default: the project's, found from the workflow folder up). */
  envFile?: string;
  /** The process environment (secrets, `CRE_ETH_PRIVATE_KEY`); default `process.env`. */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /**
   * The engine's non-fatal notes (the CLI's `--engine-logs`): every simulated node's log lines and
   * outcome and each node's own view of the writes; node 0's workflow logs still go to `log`.
   */
  engineLog?: (line: string) => void;
  /** Time the simulated DON's other nodes wait per place in the transmission schedule (default 1 s). */
  transmitDelayMs?: number;
}

/** One write as node 0 saw it; `sentBy` is the node that sent the transaction, when one did. */
export type SimulatedWrite = WriteRecord & { sentBy?: number };

export interface SimulateResult {
  outcome: ExecutionOutcome;
  writes: SimulatedWrite[];
  workflowName: string;
  workflowId: Hex;
  trigger: Subscription;
}

/** Whether a write did not do what the workflow asked (the simulator exits non-zero for it). */
export function writeFailed(w: WriteRecord): boolean {
  return (
    w.txStatus !== EVM_PB.TxStatus.SUCCESS ||
    w.receiverStatus === EVM_PB.ReceiverContractExecutionStatus.REVERTED ||
    w.error !== undefined
  );
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const isDirectory = (path: string) =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

const invalid = (message: string, context: Record<string, unknown> = {}) =>
  new CreHostError("INVALID_CONFIG", message, context);

async function readTarget(dir: string, name: string, explicit: boolean): Promise<WorkflowTarget> {
  const file = join(dir, "workflow.yaml");
  if (!(await exists(file))) {
    if (explicit) throw invalid(`--target ${name}: ${file} does not exist`);
    return {};
  }
  const targets = readWorkflowTargets(await readFile(file, "utf8"), file);
  const target = targets.get(name);
  if (!target) {
    throw invalid(`${file} has no target ${name} (targets: ${[...targets.keys()].join(", ") || "none"})`, {
      target: name,
    });
  }
  return target;
}

/** The HTTP trigger's input: a JSON string, or the contents of a JSON file (`@file` or a path). */
async function readHttpPayload(payload: string): Promise<Uint8Array> {
  let text = payload;
  let from = "--http-payload";
  if (payload.startsWith("@") || !looksLikeJson(payload)) {
    const file = payload.startsWith("@") ? payload.slice(1) : payload;
    text = await readFile(file, "utf8").catch((cause) => {
      throw new CreHostError(
        "INVALID_TRIGGER",
        `--http-payload is neither JSON nor a readable file: ${file}`,
        { file },
        { cause },
      );
    });
    from = file;
  }
  try {
    JSON.parse(text);
  } catch (cause) {
    throw new CreHostError(
      "INVALID_TRIGGER",
      `${from} is not JSON: ${(cause as Error).message}`,
      {},
      { cause },
    );
  }
  return new TextEncoder().encode(text);
}

function looksLikeJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs one execution of any CRE TypeScript workflow on a simulated 4-node DON against the chain at
 * `rpcUrl`, like `cre workflow simulate`: writes are simulated with `eth_call` unless `broadcast`,
 * which first checks that they can land (`checkBroadcast`).
 */
export async function simulateWorkflow(opts: SimulateOptions): Promise<SimulateResult> {
  const projectRoot = opts.projectRoot === undefined ? undefined : resolve(opts.projectRoot);
  if (projectRoot !== undefined && !(await isDirectory(projectRoot))) {
    throw invalid(`--project-root ${projectRoot} is not a folder`, { projectRoot });
  }
  const dir = resolve(projectRoot ?? ".", opts.workflowDir);
  if (!(await isDirectory(dir))) {
    throw invalid(
      `workflow folder ${dir} does not exist${projectRoot ? ` (resolved against --project-root ${projectRoot})` : ""}`,
      { workflowDir: dir },
    );
  }
  const log = opts.log ?? (() => {});
  const engineLog = opts.engineLog;
  const inDir = (p: string) => (isAbsolute(p) ? p : join(dir, p));

  const targetName = opts.target ?? "local-simulation";
  const target = await readTarget(dir, targetName, opts.target !== undefined);
  const configPath = opts.configPath ?? inDir(target.configPath ?? "config.json");
  if (opts.noConfig && opts.configPath !== undefined) {
    throw invalid("--no-config and --config exclude each other");
  }
  const config = opts.noConfig
    ? new Uint8Array()
    : await readFile(configPath).catch((cause) => {
        throw new CreHostError(
          "INVALID_CONFIG",
          `cannot read workflow config ${configPath}`,
          { configPath },
          { cause },
        );
      });
  const name = target.name ?? basename(dir);
  const workflowPath = inDir(target.workflowPath ?? "main.ts");
  if (!(await exists(workflowPath))) {
    throw invalid(`workflow source ${workflowPath} (workflow-path of target ${targetName}) does not exist`);
  }

  // Environment first, then the project's .env (as the CRE CLI does: .env never overrides the shell).
  const envFile = opts.envFile ?? (await findDotEnv(dir, projectRoot));
  const dotEnv = envFile ? await readDotEnv(envFile) : {};
  const processEnv = opts.env ?? process.env;
  const env = (key: string) => processEnv[key] ?? dotEnv[key];
  const secrets = await resolveSecrets(target.secretsPath ? inDir(target.secretsPath) : undefined, env);

  if (opts.nonInteractive && opts.triggerIndex === undefined) {
    throw new CreHostError("INVALID_TRIGGER", "--non-interactive needs --trigger-index");
  }
  let limits: CreLimits = simulatorLimits;
  let httpMaxResponseBytes = SIMULATOR_HTTP_RESPONSE_BYTES;
  if (opts.limits === "none") {
    limits = noLimits;
    httpMaxResponseBytes = noLimits.maxCapabilityResponseBytes;
  } else if (opts.limits !== undefined && opts.limits !== "default") {
    const file = await readLimitsFile(opts.limits);
    limits = file.limits;
    httpMaxResponseBytes = file.httpMaxResponseBytes;
    if (file.notEnforced.length > 0) {
      log(`limits: ${opts.limits} sets limits vigil does not enforce: ${file.notEnforced.join(", ")}`);
    }
    if (file.unknown.length > 0) {
      log(`limits: ${opts.limits} has keys cre does not know (ignored): ${file.unknown.join(", ")}`);
    }
  }

  const client = createPublicClient({ transport: http(opts.rpcUrl) });
  const chainId = await client.getChainId().catch((cause) => {
    throw new CreHostError("INVALID_CONFIG", `cannot reach the chain at ${opts.rpcUrl}`, {}, { cause });
  });
  const chainSelector = opts.chainSelector ?? (chainId === ANVIL.chainId ? ANVIL.selector : undefined);
  if (chainSelector === undefined) {
    throw new CreHostError("INVALID_CONFIG", `chain ${chainId} is not anvil: pass its CRE chain selector`);
  }
  const freshSigners = !opts.signerKeys?.length;
  const signerKeys = opts.signerKeys?.length
    ? opts.signerKeys
    : Array.from({ length: 4 }, () => generatePrivateKey());
  const n = signerKeys.length;
  const donId = opts.donId ?? 1;
  const configVersion = opts.configVersion ?? 1;
  const creKey = env("CRE_ETH_PRIVATE_KEY");
  const transmitterKey =
    opts.transmitterKey ?? (creKey ? ((creKey.startsWith("0x") ? creKey : `0x${creKey}`) as Hex) : undefined);
  if (opts.broadcast) {
    await checkBroadcast(client, {
      forwarder: opts.forwarder,
      donId,
      configVersion,
      signerKeys,
      freshSigners,
      transmitterKey,
      transmitterSource: opts.transmitterKey ? "--transmitter-key" : "CRE_ETH_PRIVATE_KEY",
    });
  }

  const bundle = await bundleWorkflow(workflowPath);
  const transmitter = transmitterKey ?? generatePrivateKey();
  const seen: { node: number; write: WriteRecord }[] = [];
  const don = await startLocalDon({
    bundle,
    config,
    workflow: { name, owner: opts.owner },
    donId,
    configVersion,
    f: Math.floor((n - 1) / 3),
    signerKeys,
    transmitterKeys: Array(n).fill(transmitter),
    chain: {
      chainSelector,
      chainId,
      rpcUrl: opts.rpcUrl,
      forwarder: opts.forwarder ?? "0x0000000000000000000000000000000000000000",
    },
    simulateWrites: !opts.broadcast,
    transmitDelayMs: opts.transmitDelayMs ?? 1_000,
    limits,
    http: { maxResponseBytes: httpMaxResponseBytes },
    secrets: () => (id) => secrets(id),
    log: (node, line) => {
      if (node === 0) log(line.message);
      else engineLog?.(`node ${node}: ${line.message}`);
    },
    onWrite: (node, write) => {
      seen.push({ node, write });
      engineLog?.(
        `node ${node}: write to ${write.receiver}: tx ${EVM_PB.TxStatus[write.txStatus]}` +
          `${write.txHash ? ` ${write.txHash}${write.sentByThisNode ? " (sent by this node)" : ""}` : ""}` +
          `${write.error ? `, error: ${write.error}` : ""}`,
      );
    },
  });
  try {
    const index = opts.triggerIndex ?? 0;
    const sub = don.hosts[0]!.subscriptions[index];
    if (!sub) {
      throw new CreHostError(
        "INVALID_TRIGGER",
        `the workflow has no trigger ${index} (it has ${don.hosts[0]!.subscriptions.length})`,
      );
    }
    let outcomes: ExecutionOutcome[];
    if (sub.capabilityId.startsWith("cron-trigger@")) {
      outcomes = await don.fireCron(new Date(Math.floor(Date.now() / 1000) * 1000), sub.index);
    } else if (sub.capabilityId.startsWith("http-trigger@")) {
      if (opts.httpPayload === undefined)
        throw new CreHostError("INVALID_TRIGGER", `trigger ${index} is an HTTP trigger: pass --http-payload`);
      outcomes = await don.fireHttp(await readHttpPayload(opts.httpPayload), { triggerIndex: sub.index });
    } else if (sub.capabilityId.startsWith("evm:")) {
      if (!opts.evmTxHash)
        throw new CreHostError(
          "INVALID_TRIGGER",
          `trigger ${index} is an EVM log trigger: pass --evm-tx-hash`,
        );
      const receipt = await client.getTransactionReceipt({ hash: opts.evmTxHash });
      const eventIndex = opts.evmEventIndex ?? 0;
      const l = receipt.logs[eventIndex];
      if (!l) {
        throw new CreHostError(
          "INVALID_TRIGGER",
          `transaction ${opts.evmTxHash} has no log ${eventIndex} (it has ${receipt.logs.length})`,
        );
      }
      const mismatch = logFilterMismatch(l, sub.config as EVM_PB.FilterLogTriggerRequest);
      if (mismatch) {
        throw new CreHostError(
          "INVALID_TRIGGER",
          `log ${eventIndex} of ${opts.evmTxHash} does not match trigger ${index}'s filter: ${mismatch}`,
        );
      }
      const logProto = toLogProto(l);
      outcomes = await Promise.all(don.hosts.map((h) => h.fireLog(logProto, sub.index)));
    } else {
      throw new CreHostError("INVALID_TRIGGER", `the simulator cannot fire ${sub.capabilityId} triggers`);
    }
    for (const [node, o] of outcomes.entries()) {
      engineLog?.(
        `node ${node}: execution ${o.executionId} ${o.ok ? "ok" : `failed: ${o.error}`} in ${Math.round(o.durationMs)} ms`,
      );
    }
    // Node 0's view of each write, once: a transaction another node sent is the same transaction.
    const writes: SimulatedWrite[] = seen
      .filter((s) => s.node === 0)
      .map(({ write }) => {
        const sender = write.txHash
          ? seen.find((s) => s.write.sentByThisNode && s.write.txHash === write.txHash)
          : undefined;
        return sender ? { ...write, sentBy: sender.node } : write;
      });
    return {
      outcome: outcomes[0]!,
      writes,
      workflowName: name,
      workflowId: don.hosts[0]!.workflowId,
      trigger: sub,
    };
  } finally {
    await don.stop();
  }
}

/**
 * The simulator's secrets: with a `secrets.yaml` (the target's `secrets-path`), each declared id from
 * its environment variables (the environment, then `.env`), every one required up front; without
 * one, a secret id is read from the environment variable of the same name.
 */
async function resolveSecrets(
  secretsPath: string | undefined,
  env: (key: string) => string | undefined,
): Promise<(id: string) => string | undefined> {
  if (!secretsPath) return env;
  const text = await readFile(secretsPath, "utf8").catch((cause) => {
    throw new CreHostError("INVALID_CONFIG", `cannot read secrets file ${secretsPath}`, {}, { cause });
  });
  const declared = readSecretsYaml(text, secretsPath);
  const values = new Map<string, string>();
  for (const [id, vars] of declared) {
    const value = vars.map(env).find((v) => v !== undefined);
    if (value === undefined) {
      throw invalid(
        `secret ${id} (${secretsPath}): set ${vars.join(" or ")} in the environment or the project's .env`,
        { id, vars },
      );
    }
    values.set(id, value);
  }
  return (id) => values.get(id);
}
