/**
 * CRE's per-workflow limits, enforced by the host the way Chainlink's CRE does. Defaults are the
 * production service quotas (docs.chain.link/cre/service-quotas, 2025-12): 5 minute execution
 * timeout, 100 KB workflow response; capability responses default to the SDK's 5 MiB buffer.
 */
export interface CreLimits {
  /** Wall-clock limit for one execution (trigger to response), in milliseconds. */
  executionTimeoutMs: number;
  /** Largest `ExecutionResult` a workflow may return, in bytes. */
  maxResponseBytes: number;
  /** Largest report body a workflow may ask the DON to sign, in bytes. */
  maxReportBytes: number;
  /**
   * Largest report a `WriteReport` may carry, metadata header and body together, in bytes (CRE:
   * `ChainWrite.EVM.ReportSizeLimit`, checked on the raw report at the write as `cre` does).
   */
  maxWriteReportBytes: number;
  /** Largest response a single capability call may hand back to the workflow, in bytes. */
  maxCapabilityResponseBytes: number;
  /** How long a consensus round waits for the other nodes, in milliseconds. */
  consensusTimeoutMs: number;
  /** Executions of one workflow running at once, each in its own worker (CRE: 5). */
  maxConcurrentExecutions: number;
  /** Largest workflow config, in bytes (CRE: `WASMConfigSizeLimit`). */
  maxConfigBytes: number;
  /** Heap of the worker that runs the workflow, in MB (CRE: `WASMMemoryLimit`). */
  maxMemoryMb: number;
  /** EVM reads (every method but `WriteReport`) per execution (CRE: `ChainRead.CallLimit`). */
  maxChainReads: number;
  /** `WriteReport` calls per execution (CRE: `ChainWrite.TargetsLimit`). */
  maxChainWrites: number;
  /** Largest gas limit a `WriteReport` may ask for (CRE: `ChainWrite.EVM.GasLimit`). */
  maxWriteGas: number;
  /** HTTP requests per execution (CRE: `HTTPAction.CallLimit`). */
  maxHttpCalls: number;
  /** Consensus calls per execution (CRE: `Consensus.CallLimit`). */
  maxConsensusCalls: number;
  /** Largest observation one node brings to a `Simple` consensus round, in bytes (CRE: `Consensus.ObservationSizeLimit`). */
  maxObservationBytes: number;
  /** `getSecrets` calls per execution (CRE: `Secrets.CallLimit`). */
  maxSecretsCalls: number;
}

/** Per-execution call and size counts left unbounded (the node's; `--limits none`). */
const UNCOUNTED = {
  maxChainReads: Number.POSITIVE_INFINITY,
  maxChainWrites: Number.POSITIVE_INFINITY,
  maxWriteGas: Number.POSITIVE_INFINITY,
  maxWriteReportBytes: Number.POSITIVE_INFINITY,
  maxHttpCalls: Number.POSITIVE_INFINITY,
  maxConsensusCalls: Number.POSITIVE_INFINITY,
  maxObservationBytes: Number.POSITIVE_INFINITY,
  maxSecretsCalls: Number.POSITIVE_INFINITY,
};

export const defaultLimits: CreLimits = {
  executionTimeoutMs: 5 * 60_000,
  maxResponseBytes: 100 * 1024,
  // Keystone's forwarder caps nothing itself; 5 KiB mirrors CRE's chain-write report limit and keeps
  // a report well inside one transaction's calldata budget.
  maxReportBytes: 5 * 1024,
  maxCapabilityResponseBytes: 5 * 1024 * 1024,
  consensusTimeoutMs: 10_000,
  maxConcurrentExecutions: 5,
  maxConfigBytes: 1024 * 1024,
  // A workflow gets CRE's 100 MB memory quota (docs.chain.link/cre/service-quotas), not the node's.
  maxMemoryMb: 100,
  // The node does not count calls: Vigil's fraud-slashing finds the last block before an epoch's
  // start with about 2·log2(blocks since then) header reads (readJudges' lastBlockBefore), within
  // 15 on the test chains but not for a day-long epoch on a 2 s chain. The simulator counts them
  // (`simulatorLimits`), so a workflow meant for Chainlink's DON learns it there.
  ...UNCOUNTED,
};

// The SDK passes the response buffer size as an int32, as the CRE CLI's `--limits none` caps sizes.
const MAX_INT32 = 2 ** 31 - 1;

/**
 * The limits `cre workflow simulate` enforces by default: the CRE CLI's embedded production limits
 * (smartcontractkit/cre-cli `cmd/workflow/simulate/limits.json`, as of cre-cli #489 "Update
 * Simulation limits to match Production", 2026-06). Its sizes are chainlink-common `config.Size`,
 * where "kb" and "mb" are decimal (1 kb = 1,000 bytes), so 100kb is 100,000 bytes here. The CLI
 * checks no report size at consensus: it checks the raw report (109-byte metadata and body) at the
 * write against `ChainWrite.EVM.ReportSizeLimit`, 50,000 bytes. The service quotas page
 * (docs.chain.link/cre/service-quotas, last updated 2025-12-18) still lists 5 KB for
 * `ChainWrite.ReportSizeLimit`; the simulator follows the CLI, which is what `cre` enforces.
 */
export const simulatorLimits: CreLimits = {
  ...defaultLimits,
  executionTimeoutMs: 5 * 60_000, // ExecutionTimeout "5m0s"
  maxResponseBytes: 100_000, // ExecutionResponseLimit "100kb"
  maxConfigBytes: 1_000_000, // WASMConfigSizeLimit "1mb"
  maxMemoryMb: 96, // WASMMemoryLimit "100mb": 10^8 bytes, in the worker heap's MiB, rounded up
  maxReportBytes: MAX_INT32,
  maxWriteReportBytes: 50_000, // ChainWrite.EVM.ReportSizeLimit "50000"
  maxChainReads: 15, // ChainRead.CallLimit
  maxChainWrites: 10, // ChainWrite.TargetsLimit
  maxWriteGas: 10_000_000, // ChainWrite.EVM.GasLimit.Default
  maxHttpCalls: 15, // HTTPAction.CallLimit
  maxConsensusCalls: 50, // Consensus.CallLimit
  maxObservationBytes: 25_000, // Consensus.ObservationSizeLimit "25kb"
  maxSecretsCalls: 5, // Secrets.CallLimit
};

/** HTTP response limit of the simulator (cre-cli `HTTPAction.ResponseSizeLimit`, "250kb"). */
export const SIMULATOR_HTTP_RESPONSE_BYTES = 250_000;

/** `--limits none`: every limit lifted (as the CRE CLI does: a day for time, the int32 maximum for sizes). */
export const noLimits: CreLimits = {
  executionTimeoutMs: 24 * 3600_000,
  maxResponseBytes: MAX_INT32,
  maxReportBytes: MAX_INT32,
  maxCapabilityResponseBytes: MAX_INT32,
  consensusTimeoutMs: defaultLimits.consensusTimeoutMs,
  maxConcurrentExecutions: defaultLimits.maxConcurrentExecutions,
  maxConfigBytes: MAX_INT32,
  maxMemoryMb: 4096,
  ...UNCOUNTED,
};
