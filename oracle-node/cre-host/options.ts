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

/**
 * The limits `cre workflow simulate` enforces by default: the CRE CLI's embedded production limits
 * (smartcontractkit/cre-cli `cmd/workflow/simulate/limits.json`). Sizes there are decimal-free
 * "kb"/"mb", read as KiB/MiB. The report body keeps the host's 5 KiB: the CLI allows 50 KB, the
 * service quotas page documents less, and the smaller one is the one a deployment must fit.
 */
export const simulatorLimits: CreLimits = {
  ...defaultLimits,
  maxChainReads: 15,
  maxChainWrites: 10,
  maxWriteGas: 10_000_000,
  maxHttpCalls: 15,
  maxConsensusCalls: 50,
  maxObservationBytes: 25 * 1024,
  maxSecretsCalls: 5,
};

/** HTTP response limit of the simulator (cre-cli `HTTPAction.ResponseSizeLimit`, 250 KB). */
export const SIMULATOR_HTTP_RESPONSE_BYTES = 250 * 1024;

// The SDK passes the response buffer size as an int32, as the CRE CLI's `--limits none` caps sizes.
const MAX_INT32 = 2 ** 31 - 1;

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
