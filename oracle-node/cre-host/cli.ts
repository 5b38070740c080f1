import { EVM_PB } from "@chainlink/cre-sdk/pb";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type Address, type Hex, isAddress, isHex } from "viem";
// Not the settlement index: it imports this folder's index, which imports this file.
import { donCommand } from "../settlement/donCommand";
import { type SimulatedWrite, simulateWorkflow, writeFailed } from "./simulate";

const hexKey = (v: string): Hex => {
  if (!isHex(v) || v.length !== 66)
    throw new InvalidArgumentError("expected a 32-byte hex key (0x + 64 hex digits)");
  return v;
};
const address = (v: string): Address => {
  if (!isAddress(v, { strict: false })) throw new InvalidArgumentError("expected a 20-byte hex address");
  return v as Address;
};
const txHash = (v: string): Hex => {
  if (!isHex(v) || v.length !== 66) throw new InvalidArgumentError("expected a 32-byte transaction hash");
  return v;
};
const uint = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError("expected a non-negative integer");
  return Number(v);
};
const uint32 = (v: string): number => {
  const n = uint(v);
  if (n > 0xffffffff) throw new InvalidArgumentError("expected a uint32");
  return n;
};
const limitsMode = (v: string): string => {
  if (v.trim() === "") throw new InvalidArgumentError('expected "default", "none" or a limits file');
  return v;
};

const stringify = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2);

/** Where the command writes and how it ends: the process by default, buffers in tests. */
export interface WorkflowCliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Called once with the command's exit status. */
  exit(code: number): void;
}

const processIo: WorkflowCliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
  exit: (code) => {
    if (code !== 0) process.exitCode = code;
  },
};

function describeWrite(w: SimulatedWrite): string {
  const how = w.simulated
    ? "simulated"
    : w.txHash
      ? `tx ${w.txHash}${w.sentBy !== undefined ? ` (sent by node ${w.sentBy})` : ""}`
      : "not sent";
  return (
    `write to ${w.receiver}: ${how}, tx ${EVM_PB.TxStatus[w.txStatus]}` +
    `${w.receiverStatus !== undefined ? `, receiver ${EVM_PB.ReceiverContractExecutionStatus[w.receiverStatus]}` : ""}` +
    `${w.fee !== undefined ? `, fee ${w.fee} wei` : ""}${w.error ? `, error: ${w.error}` : ""}`
  );
}

/** `vigil workflow ...`: run Vigil's (or any) CRE TypeScript workflow locally. */
export function workflowCommand(io: WorkflowCliIo = processIo): Command {
  const env = io.env;
  const workflow = new Command("workflow").description("CRE workflows: simulate locally (see docs/cre.md)");
  workflow
    .command("simulate")
    .description(
      "run one execution of a CRE TypeScript workflow on a simulated 4-node DON against a chain, like `cre workflow simulate`",
    )
    .argument("<workflow-dir>", "folder with workflow.yaml (targets), the workflow source and its config")
    .option(
      "-T, --target <name>",
      "workflow.yaml target (workflow-name, workflow-path, config-path, secrets-path)",
    )
    .option(
      "-R, --project-root <dir>",
      "the CRE project's root: <workflow-dir> is resolved against it, and .env is looked for up to it",
    )
    .option("--config <file>", "workflow config file (default: the target's config-path)")
    .option("--no-config", "simulate without a config file (the workflow gets an empty config)")
    .addOption(
      new Option("--default-config", "use the target's config-path (the default)").conflicts("config"),
    )
    .option(
      "-e, --env <file>",
      "the .env file secrets and CRE_ETH_PRIVATE_KEY are read from (default: the project's)",
    )
    .option("--trigger-index <n>", "which of the workflow's triggers to fire (0-based; default 0)", uint)
    .option("--non-interactive", "never pick a trigger: --trigger-index is required", false)
    .option("--http-payload <json|@file>", "HTTP trigger body: JSON, or a JSON file (with or without @)")
    .option("--evm-tx-hash <hash>", "transaction whose log fires an EVM log trigger", txHash)
    .option("--evm-event-index <n>", "index of that log in the transaction's receipt", uint, 0)
    .option("--broadcast", "send the workflow's writes (default: simulate them with eth_call)", false)
    .option(
      "--limits <default|none|file>",
      'CRE simulation limits: "default" (the CRE CLI\'s), "none", or a limits file in the CRE CLI\'s format (`cre workflow limits export`)',
      limitsMode,
      "default",
    )
    .option(
      "-g, --engine-logs",
      "also print the engine's non-fatal logs: every simulated node's log lines, outcome and writes",
      false,
    )
    .option("--rpc-url <url>", "chain RPC", env.VIGIL_RPC_URL ?? "http://127.0.0.1:8545")
    .option("--chain-selector <selector>", "CRE chain selector of the chain (default: anvil's)")
    .option(
      "--forwarder <address>",
      "KeystoneForwarder the writes go through (env VIGIL_FORWARDER)",
      env.VIGIL_FORWARDER,
    )
    .option(
      "--don-id <id>",
      "DON id in report metadata: the forwarder's config (donId, configVersion)",
      uint32,
      1,
    )
    .option("--config-version <n>", "DON config version in report metadata", uint32, 1)
    .option(
      "--owner <address>",
      "workflow owner written into report metadata",
      address,
      "0x0000000000000000000000000000000000000000",
    )
    .option(
      "--signer-keys <keys>",
      "comma-separated report signer keys of the simulated DON (the forwarder's signers; env VIGIL_CRE_SIGNER_KEYS)",
      env.VIGIL_CRE_SIGNER_KEYS,
    )
    .option(
      "--transmitter-key <key>",
      "key paying for --broadcast writes (env VIGIL_CRE_TRANSMITTER_KEY, else CRE_ETH_PRIVATE_KEY)",
      env.VIGIL_CRE_TRANSMITTER_KEY,
    )
    .action(async (dir: string, o) => {
      try {
        const result = await simulateWorkflow({
          workflowDir: dir,
          projectRoot: o.projectRoot,
          target: o.target,
          configPath: typeof o.config === "string" ? o.config : undefined,
          noConfig: o.config === false,
          envFile: o.env,
          triggerIndex: o.triggerIndex,
          nonInteractive: o.nonInteractive,
          httpPayload: o.httpPayload,
          evmTxHash: o.evmTxHash,
          evmEventIndex: o.evmEventIndex,
          broadcast: o.broadcast,
          limits: o.limits,
          rpcUrl: o.rpcUrl,
          chainSelector: o.chainSelector ? BigInt(o.chainSelector) : undefined,
          forwarder: o.forwarder ? address(o.forwarder) : undefined,
          donId: o.donId,
          configVersion: o.configVersion,
          owner: o.owner,
          signerKeys: o.signerKeys
            ? String(o.signerKeys)
                .split(",")
                .map((k: string) => hexKey(k.trim()))
            : undefined,
          transmitterKey: o.transmitterKey ? hexKey(o.transmitterKey) : undefined,
          env,
          log: (line) => io.out(`[workflow] ${line}`),
          engineLog: o.engineLogs ? (line) => io.out(`[engine] ${line}`) : undefined,
        });
        io.out(`workflow ${result.workflowName} (id ${result.workflowId})`);
        io.out(`trigger ${result.trigger.index}: ${result.trigger.capabilityId} ${result.trigger.method}`);
        for (const w of result.writes) io.out(describeWrite(w));
        const { outcome } = result;
        let code = 0;
        if (outcome.ok) io.out(`result: ${stringify(outcome.value)}`);
        else {
          io.err(`execution failed: ${outcome.error}`);
          code = 1;
        }
        const failed = result.writes.filter(writeFailed).length;
        if (failed > 0) {
          io.err(`${failed} of ${result.writes.length} writes failed`);
          code = 1;
        }
        io.out(`execution ${outcome.executionId} took ${Math.round(outcome.durationMs)} ms`);
        io.exit(code);
      } catch (err) {
        io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
        io.exit(1);
      }
    });
  workflow.addCommand(donCommand(io));
  return workflow;
}

/**
 * Runs `vigil workflow <args>` in this process with its output in `io` (tests, tools): resolves with
 * the exit status, also for a refused argument (commander's status and message).
 */
export async function runWorkflowCli(
  args: string[],
  io: Omit<WorkflowCliIo, "exit"> = processIo,
): Promise<number> {
  let code = 0;
  const cmd = workflowCommand({ ...io, exit: (c) => (code = c) });
  for (const c of [cmd, ...cmd.commands]) {
    c.exitOverride().configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
    });
  }
  try {
    await cmd.parseAsync(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return code;
}
