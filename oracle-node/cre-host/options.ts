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
}

export const defaultLimits: CreLimits = {
  executionTimeoutMs: 5 * 60_000,
  maxResponseBytes: 100 * 1024,
  // Keystone's forwarder caps nothing itself; 5 KiB mirrors CRE's chain-write report limit and keeps
  // a report well inside one transaction's calldata budget.
  maxReportBytes: 5 * 1024,
  maxCapabilityResponseBytes: 5 * 1024 * 1024,
  consensusTimeoutMs: 10_000,
  maxConcurrentExecutions: 5,
};
