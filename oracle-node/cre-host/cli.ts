import { EVM_PB } from "@chainlink/cre-sdk/pb";
import { Command, InvalidArgumentError } from "commander";
import { type Address, type Hex, isAddress, isHex } from "viem";
import { simulateWorkflow } from "./simulate";

const hexKey = (v: string): Hex => {
  if (!isHex(v) || v.length !== 66)
    throw new InvalidArgumentError("expected a 32-byte hex key (0x + 64 hex digits)");
  return v;
};
const address = (v: string): Address => {
  if (!isAddress(v, { strict: false })) throw new InvalidArgumentError("expected a 20-byte hex address");
  return v as Address;
};
const uint = (v: string): number => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError("expected a non-negative integer");
  return Number(v);
};

const stringify = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x), 2);

/** `vigil workflow ...`: run Vigil's (or any) CRE TypeScript workflow locally. */
export function workflowCommand(): Command {
  const workflow = new Command("workflow").description("CRE workflows: simulate locally (see docs/cre.md)");
  workflow
    .command("simulate")
    .description(
      "run one execution of a CRE TypeScript workflow on a simulated 4-node DON against a chain, like `cre workflow simulate`",
    )
    .argument("<workflow-dir>", "folder with main.ts, workflow.yaml and config.<env>.json")
    .option("--config <file>", "workflow config file (default: the target's config-path)")
    .option("--target <name>", "workflow.yaml target", "local-simulation")
    .option("--trigger-index <n>", "which of the workflow's triggers to fire", uint, 0)
    .option("--http-payload <json>", "body of the HTTP trigger request")
    .option("--evm-tx-hash <hash>", "transaction whose log fires an EVM log trigger")
    .option("--evm-event-index <n>", "index of that log in the transaction's receipt", uint, 0)
    .option("--broadcast", "send the workflow's writes (default: simulate them with eth_call)", false)
    .option("--rpc-url <url>", "chain RPC", process.env.VIGIL_RPC_URL ?? "http://127.0.0.1:8545")
    .option("--chain-selector <selector>", "CRE chain selector of the chain (default: anvil's)")
    .option("--forwarder <address>", "KeystoneForwarder the writes go through", process.env.VIGIL_FORWARDER)
    .option(
      "--owner <address>",
      "workflow owner written into report metadata",
      address,
      "0x0000000000000000000000000000000000000000",
    )
    .option(
      "--signer-keys <keys>",
      "comma-separated report signer keys of the simulated DON (the forwarder's signers; env VIGIL_CRE_SIGNER_KEYS)",
      process.env.VIGIL_CRE_SIGNER_KEYS,
    )
    .option(
      "--transmitter-key <key>",
      "key paying for --broadcast writes (env VIGIL_CRE_TRANSMITTER_KEY)",
      process.env.VIGIL_CRE_TRANSMITTER_KEY,
    )
    .action(async (dir: string, o) => {
      try {
        const result = await simulateWorkflow({
          workflowDir: dir,
          target: o.target,
          configPath: o.config,
          triggerIndex: o.triggerIndex,
          httpPayload: o.httpPayload,
          evmTxHash: o.evmTxHash,
          evmEventIndex: o.evmEventIndex,
          broadcast: o.broadcast,
          rpcUrl: o.rpcUrl,
          chainSelector: o.chainSelector ? BigInt(o.chainSelector) : undefined,
          forwarder: o.forwarder ? address(o.forwarder) : undefined,
          owner: o.owner,
          signerKeys: o.signerKeys
            ? String(o.signerKeys)
                .split(",")
                .map((k: string) => hexKey(k.trim()))
            : undefined,
          transmitterKey: o.transmitterKey ? hexKey(o.transmitterKey) : undefined,
          log: (line) => console.log(`[workflow] ${line}`),
        });
        console.log(`workflow ${result.workflowName} (id ${result.workflowId})`);
        for (const w of result.writes) {
          console.log(
            `write to ${w.receiver}: ${w.simulated ? "simulated" : `tx ${w.txHash}`}, tx ${EVM_PB.TxStatus[w.txStatus]}` +
              `${w.receiverStatus !== undefined ? `, receiver ${EVM_PB.ReceiverContractExecutionStatus[w.receiverStatus]}` : ""}` +
              `${w.fee !== undefined ? `, fee ${w.fee} wei` : ""}${w.error ? `, error: ${w.error}` : ""}`,
          );
        }
        const { outcome } = result;
        if (outcome.ok) console.log(`result: ${stringify(outcome.value)}`);
        else {
          console.error(`execution failed: ${outcome.error}`);
          process.exitCode = 1;
        }
        console.log(`execution ${outcome.executionId} took ${Math.round(outcome.durationMs)} ms`);
      } catch (err) {
        console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
      }
    });
  return workflow;
}
