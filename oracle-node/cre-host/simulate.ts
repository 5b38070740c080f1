import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { EVM_PB } from "@chainlink/cre-sdk/pb";
import { type Address, createPublicClient, type Hex, hexToBytes, http } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { bundleWorkflow } from "./bundle";
import type { WriteRecord } from "./capabilities/evm";
import { toProtoBigInt } from "./capabilities/types";
import { CreHostError } from "./errors";
import type { ExecutionOutcome } from "./host";
import { startLocalDon } from "./localDon";

/** anvil's chain id and CRE's chain selector for it (the SDK's "anvil-devnet"). */
const ANVIL = { chainId: 31337, selector: 7759470850252068959n };

export interface SimulateOptions {
  workflowDir: string;
  /** `workflow.yaml` target (default "local-simulation"); names the workflow and its config file. */
  target?: string;
  /** Config file, overriding the target's. */
  configPath?: string;
  triggerIndex?: number;
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
  /** Pays for `--broadcast` writes. */
  transmitterKey?: Hex;
  donId?: number;
  configVersion?: number;
  /** Secrets by id; a missing id falls back to the environment variable of the same name. */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

export interface SimulateResult {
  outcome: ExecutionOutcome;
  writes: WriteRecord[];
  workflowName: string;
  workflowId: Hex;
}

/** Reads `workflow-name` and `config-path` of one target from a CRE `workflow.yaml`. */
export function readWorkflowYaml(text: string, target: string): { name?: string; configPath?: string } {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trimEnd() === `${target}:`);
  if (start < 0) return {};
  const out: { name?: string; configPath?: string } = {};
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const m = /^\s+([\w-]+):\s*"?([^"#]*?)"?\s*(#.*)?$/.exec(line);
    if (m?.[1] === "workflow-name" && m[2]) out.name = m[2];
    if (m?.[1] === "config-path" && m[2]) out.configPath = m[2];
  }
  return out;
}

/**
 * Runs one execution of any CRE TypeScript workflow on a simulated 4-node DON against the chain at
 * `rpcUrl`, like `cre workflow simulate`: writes are simulated with `eth_call` unless `broadcast`.
 */
export async function simulateWorkflow(opts: SimulateOptions): Promise<SimulateResult> {
  const dir = resolve(opts.workflowDir);
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const yaml = await readFile(join(dir, "workflow.yaml"), "utf8").catch(() => "");
  const target = readWorkflowYaml(yaml, opts.target ?? "local-simulation");
  const configPath =
    opts.configPath ?? (target.configPath ? join(dir, target.configPath) : join(dir, "config.json"));
  const config = await readFile(configPath).catch((cause) => {
    throw new CreHostError(
      "INVALID_CONFIG",
      `cannot read workflow config ${configPath}`,
      { configPath },
      { cause },
    );
  });
  const name = target.name ?? dir.split("/").pop()!;
  const bundle = await bundleWorkflow(join(dir, "main.ts"));

  const client = createPublicClient({ transport: http(opts.rpcUrl) });
  const chainId = await client.getChainId().catch((cause) => {
    throw new CreHostError("INVALID_CONFIG", `cannot reach the chain at ${opts.rpcUrl}`, {}, { cause });
  });
  const chainSelector = opts.chainSelector ?? (chainId === ANVIL.chainId ? ANVIL.selector : undefined);
  if (chainSelector === undefined) {
    throw new CreHostError("INVALID_CONFIG", `chain ${chainId} is not anvil: pass its CRE chain selector`);
  }
  const signerKeys = opts.signerKeys?.length
    ? opts.signerKeys
    : Array.from({ length: 4 }, () => generatePrivateKey());
  const n = signerKeys.length;
  const transmitter = opts.transmitterKey ?? generatePrivateKey();
  const writes: WriteRecord[] = [];
  const don = await startLocalDon({
    bundle,
    config,
    workflow: { name, owner: opts.owner },
    donId: opts.donId ?? 1,
    configVersion: opts.configVersion ?? 1,
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
    transmitDelayMs: 1_000,
    secrets: () => (id) => env[id],
    log: (node, line) => {
      if (node === 0) log(line.message);
    },
    onWrite: (node, w) => {
      if (node === 0 || w.sentByThisNode) writes.push(w);
    },
  });
  try {
    const sub = don.hosts[0]!.subscriptions[opts.triggerIndex ?? 0];
    if (!sub)
      throw new CreHostError("INVALID_TRIGGER", `the workflow has no trigger ${opts.triggerIndex ?? 0}`);
    let outcomes: ExecutionOutcome[];
    if (sub.capabilityId.startsWith("cron-trigger@")) {
      outcomes = await don.fireCron(new Date(Math.floor(Date.now() / 1000) * 1000), sub.index);
    } else if (sub.capabilityId.startsWith("http-trigger@")) {
      if (opts.httpPayload === undefined)
        throw new CreHostError("INVALID_TRIGGER", "an HTTP trigger needs --http-payload");
      outcomes = await don.fireHttp(new TextEncoder().encode(opts.httpPayload), { triggerIndex: sub.index });
    } else if (sub.capabilityId.startsWith("evm:")) {
      if (!opts.evmTxHash) throw new CreHostError("INVALID_TRIGGER", "a log trigger needs --evm-tx-hash");
      const receipt = await client.getTransactionReceipt({ hash: opts.evmTxHash });
      const l = receipt.logs[opts.evmEventIndex ?? 0];
      if (!l) throw new CreHostError("INVALID_TRIGGER", `transaction has no log ${opts.evmEventIndex ?? 0}`);
      const logProto = create(EVM_PB.LogSchema, {
        address: hexToBytes(l.address),
        topics: l.topics.map((t) => hexToBytes(t)),
        txHash: hexToBytes(l.transactionHash),
        blockHash: hexToBytes(l.blockHash),
        data: hexToBytes(l.data),
        eventSig: l.topics[0] ? hexToBytes(l.topics[0]) : new Uint8Array(),
        blockNumber: toProtoBigInt(l.blockNumber),
        txIndex: l.transactionIndex,
        index: l.logIndex,
        removed: l.removed,
      });
      outcomes = await Promise.all(don.hosts.map((h) => h.fireLog(logProto, sub.index)));
    } else {
      throw new CreHostError("INVALID_TRIGGER", `the simulator cannot fire ${sub.capabilityId} triggers`);
    }
    return {
      outcome: outcomes[0]!,
      writes,
      workflowName: name,
      workflowId: don.hosts[0]!.workflowId,
    };
  } finally {
    await don.stop();
  }
}
