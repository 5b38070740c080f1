import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Any, anyPack, anyUnpack, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { CRON_TRIGGER_PB, EVM_PB, HTTP_TRIGGER_PB, SDK_PB } from "@chainlink/cre-sdk/pb";
import { type Address, bytesToHex, type Hex, keccak256, type LocalAccount, toBytes } from "viem";
import type { WorkflowBundle } from "./bundle";
import { consensusCapability } from "./capabilities/consensus";
import type { Capability } from "./capabilities/types";
import { DonConsensus } from "./consensus";
import { CreHostError } from "./errors";
import { Execution, type SecretsProvider } from "./execution";
import type { CreHostMetrics } from "./metrics";
import { type CreLimits, defaultLimits } from "./options";
import { computeExecutionId, computeWorkflowId, workflowNameToBytes10 } from "./report";
import { SandboxPool } from "./sandbox";
import type { DonTransport } from "./transport";
import { valueToJs } from "./values";

/** The DON this node belongs to, as its forwarder is configured. */
export interface DonConfig {
  id: number;
  configVersion: number;
  /** Every member's report signer address, in DON order. */
  members: Address[];
  f: number;
  transport: DonTransport;
}

export interface CreHostOptions {
  bundle: WorkflowBundle;
  /** The workflow's config file contents (`config.<env>.json`), passed to it verbatim. */
  config: Uint8Array;
  workflow: { name: string; owner: Hex };
  don: DonConfig;
  /** This node's report signer (a forwarder signer); must be `don.members[transport.self]`. */
  signer: LocalAccount;
  /** Capabilities besides consensus: HTTP actions, EVM clients, ... (see `capabilities/`). */
  capabilities: Capability[];
  secrets?: SecretsProvider;
  limits?: Partial<CreLimits>;
  /** `reportId` written into report metadata (2 bytes); CRE uses one per report kind. */
  reportId?: Hex;
  /** Receives the workflow's log lines and the host's own notes. */
  log?: (line: { executionId: Hex; message: string }) => void;
  /** The node's metrics (see `createCreHostMetrics`); omit in tests and tools. */
  metrics?: CreHostMetrics;
}

/** One trigger the workflow subscribed to, decoded. */
export interface Subscription {
  index: number;
  capabilityId: string;
  method: string;
  preHook: boolean;
  /** The trigger's config, decoded where the host knows the capability (cron, HTTP, EVM log). */
  config?: CRON_TRIGGER_PB.Config | HTTP_TRIGGER_PB.Config | EVM_PB.FilterLogTriggerRequest;
}

export interface ExecutionOutcome {
  executionId: Hex;
  ok: boolean;
  /** The handler's return value (unwrapped from CRE's `Value`), when `ok`. */
  value?: unknown;
  error?: string;
  logs: string[];
  durationMs: number;
}

export interface CreHost {
  readonly workflowId: Hex;
  /** The `bytes10` name consumer contracts check. */
  readonly workflowName: Hex;
  readonly subscriptions: Subscription[];
  /** Fires a cron trigger for its scheduled time (identical on every node of the DON). */
  fireCron(scheduledTime: Date, triggerIndex?: number): Promise<ExecutionOutcome>;
  /** Fires an HTTP trigger with the request body; `eventId` defaults to a hash of the input. */
  fireHttp(input: Uint8Array, opts?: { triggerIndex?: number; eventId?: string }): Promise<ExecutionOutcome>;
  /** Fires an EVM log trigger with a log. */
  fireLog(log: EVM_PB.Log, triggerIndex?: number): Promise<ExecutionOutcome>;
  /** Fires any trigger with an already-packed payload. */
  fire(triggerIndex: number, payload: Any, eventId: string): Promise<ExecutionOutcome>;
  stop(): Promise<void>;
}

function firstOf(subs: Subscription[], capabilityPrefix: string, index: number | undefined): Subscription {
  const sub =
    index !== undefined ? subs[index] : subs.find((s) => s.capabilityId.startsWith(capabilityPrefix));
  if (!sub?.capabilityId.startsWith(capabilityPrefix)) {
    throw new CreHostError(
      "INVALID_TRIGGER",
      index !== undefined
        ? `trigger ${index} is not a ${capabilityPrefix} trigger`
        : `the workflow has no ${capabilityPrefix} trigger`,
      { index },
    );
  }
  return sub;
}

function decodeConfig(s: SDK_PB.TriggerSubscription): Subscription["config"] {
  const payload = s.payload;
  if (!payload) return undefined;
  const unpack = <D extends DescMessage>(schema: D) =>
    anyUnpack(payload, schema) as MessageShape<D> | undefined;
  if (s.id.startsWith("cron-trigger@")) return unpack(CRON_TRIGGER_PB.ConfigSchema);
  if (s.id.startsWith("http-trigger@")) return unpack(HTTP_TRIGGER_PB.ConfigSchema);
  if (s.id.startsWith("evm:")) return unpack(EVM_PB.FilterLogTriggerRequestSchema);
  return undefined;
}

/**
 * Creates a CRE host for one workflow on one node: bundles nothing itself (pass a bundle from
 * `bundleWorkflow`), runs the subscribe phase to learn the triggers, and executes the workflow in a
 * worker thread whenever a trigger fires. Every node of the DON runs its own host for the same
 * workflow; their consensus calls meet over `don.transport`.
 */
export async function createCreHost(opts: CreHostOptions): Promise<CreHost> {
  const limits: CreLimits = { ...defaultLimits, ...opts.limits };
  const log = opts.log ?? (() => {});
  if (opts.config.length > limits.maxConfigBytes) {
    throw new CreHostError(
      "INVALID_CONFIG",
      `the workflow config of ${opts.config.length} bytes exceeds the ${limits.maxConfigBytes}-byte limit`,
      { size: opts.config.length, limit: limits.maxConfigBytes },
    );
  }
  const workflowId = computeWorkflowId({
    owner: opts.workflow.owner,
    name: opts.workflow.name,
    binary: opts.bundle.binary,
    config: opts.config,
  });
  const workflowName = workflowNameToBytes10(opts.workflow.name);
  const consensus = new DonConsensus({
    transport: opts.don.transport,
    members: opts.don.members,
    f: opts.don.f,
    signer: opts.signer,
    timeoutMs: limits.consensusTimeoutMs,
  });
  const capabilities = new Map<string, Capability>();
  for (const c of opts.capabilities) capabilities.set(c.id, c);
  capabilities.set(
    "consensus@1.0.0-alpha",
    consensusCapability({
      consensus,
      don: opts.don,
      workflowId,
      workflowName,
      workflowOwner: opts.workflow.owner,
      reportId: opts.reportId ?? "0x0000",
      maxReportBytes: limits.maxReportBytes,
    }),
  );
  const sandbox = new SandboxPool(
    opts.bundle.code,
    opts.bundle.entry,
    opts.bundle.reusable,
    limits.maxConcurrentExecutions,
    limits.maxMemoryMb,
  );
  let stopped = false;

  async function run(
    request: SDK_PB.ExecuteRequest["request"],
    executionId: Hex,
    restrictions?: SDK_PB.Restrictions,
  ): Promise<{ result: SDK_PB.ExecutionResult; execution: Execution }> {
    if (stopped) throw new CreHostError("HOST_STOPPED", "the CRE host is stopped");
    const execution = new Execution({
      executionId,
      capabilities,
      secrets: opts.secrets ?? (() => undefined),
      owner: opts.workflow.owner,
      maxCapabilityResponseBytes: limits.maxCapabilityResponseBytes,
      limits,
      restrictions,
      log: (message) => log({ executionId, message }),
      onCall: (capability, method, outcome) =>
        opts.metrics?.capabilityCalls.inc({ capability, method, outcome }),
    });
    const req = create(SDK_PB.ExecuteRequestSchema, {
      config: opts.config,
      request,
      maxResponseSize: BigInt(limits.maxCapabilityResponseBytes),
    });
    const bytes = await sandbox.execute(
      toBinary(SDK_PB.ExecuteRequestSchema, req),
      execution,
      limits.executionTimeoutMs,
    );
    if (bytes.length > limits.maxResponseBytes) {
      throw new CreHostError(
        "RESPONSE_TOO_LARGE",
        `the workflow's response of ${bytes.length} bytes exceeds the ${limits.maxResponseBytes}-byte limit`,
        { executionId },
      );
    }
    return { result: fromBinary(SDK_PB.ExecutionResultSchema, bytes), execution };
  }

  const subscribeId = keccak256(toBytes(`subscribe:${workflowId}`));
  const { result: subscribed } = await run({ case: "subscribe", value: {} as never }, subscribeId);
  if (subscribed.result.case !== "triggerSubscriptions") {
    await sandbox.close();
    throw new CreHostError(
      "INVALID_CONFIG",
      `workflow subscribe phase failed: ${subscribed.result.case === "error" ? subscribed.result.value : subscribed.result.case}`,
    );
  }
  const subscriptions: Subscription[] = subscribed.result.value.subscriptions.map((s, index) => ({
    index,
    capabilityId: s.id,
    method: s.method,
    preHook: s.preHook,
    config: decodeConfig(s),
  }));

  async function fire(triggerIndex: number, payload: Any, eventId: string): Promise<ExecutionOutcome> {
    const outcome = await execute(triggerIndex, payload, eventId);
    const workflow = opts.workflow.name;
    opts.metrics?.executions.inc({ workflow, outcome: outcome.ok ? "ok" : "error" });
    opts.metrics?.executionDuration.observe({ workflow }, outcome.durationMs / 1000);
    return outcome;
  }

  async function execute(triggerIndex: number, payload: Any, eventId: string): Promise<ExecutionOutcome> {
    const sub = subscriptions[triggerIndex];
    if (!sub) throw new CreHostError("INVALID_TRIGGER", `the workflow has no trigger ${triggerIndex}`);
    const executionId = computeExecutionId(workflowId, eventId);
    const started = performance.now();
    const trigger = create(SDK_PB.TriggerSchema, { id: BigInt(triggerIndex), payload });
    const logs: string[] = [];
    try {
      let restrictions: SDK_PB.Restrictions | undefined;
      if (sub.preHook) {
        const { result } = await run({ case: "preHook", value: trigger }, executionId);
        if (result.result.case === "error")
          throw new CreHostError("NO_RESPONSE", `pre-hook failed: ${result.result.value}`);
        if (result.result.case === "restrictions") restrictions = result.result.value;
      }
      const { result, execution } = await run({ case: "trigger", value: trigger }, executionId, restrictions);
      logs.push(...execution.logs);
      const durationMs = performance.now() - started;
      if (result.result.case === "value") {
        return { executionId, ok: true, value: valueToJs(result.result.value), logs, durationMs };
      }
      const error =
        result.result.case === "error" ? result.result.value : `unexpected result ${result.result.case}`;
      return { executionId, ok: false, error, logs, durationMs };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      log({ executionId, message: `execution failed: ${error}` });
      return { executionId, ok: false, error, logs, durationMs: performance.now() - started };
    }
  }

  return {
    workflowId,
    workflowName,
    subscriptions,
    fire,
    async fireCron(scheduledTime, triggerIndex) {
      const sub = firstOf(subscriptions, "cron-trigger@", triggerIndex);
      const payload = anyPack(
        CRON_TRIGGER_PB.PayloadSchema,
        create(CRON_TRIGGER_PB.PayloadSchema, {
          scheduledExecutionTime: timestampFromMs(scheduledTime.getTime()),
        }),
      );
      return fire(sub.index, payload, `cron:${sub.index}:${scheduledTime.toISOString()}`);
    },
    async fireHttp(input, o = {}) {
      const sub = firstOf(subscriptions, "http-trigger@", o.triggerIndex);
      const payload = anyPack(
        HTTP_TRIGGER_PB.PayloadSchema,
        create(HTTP_TRIGGER_PB.PayloadSchema, { input }),
      );
      return fire(sub.index, payload, o.eventId ?? `http:${sub.index}:${keccak256(input)}`);
    },
    async fireLog(l, triggerIndex) {
      const sub = firstOf(subscriptions, "evm:", triggerIndex);
      return fire(sub.index, anyPack(EVM_PB.LogSchema, l), `log:${bytesToHex(l.txHash)}:${l.index}`);
    },
    async stop() {
      stopped = true;
      consensus.close();
      await sandbox.close();
    },
  };
}
