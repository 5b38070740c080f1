import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Any, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { EVM_PB, SDK_PB, VALUES_PB } from "@chainlink/cre-sdk/pb";
import type { Hex } from "viem";
import type { Capability } from "./capabilities/types";
import { CreHostError } from "./errors";
import type { CreLimits } from "./options";
import type { ExecutionHandlers } from "./sandbox";

/** Looks up a secret; `undefined` when this node has none by that id. */
export type SecretsProvider = (id: string, namespace: string) => string | undefined;

export interface ExecutionEnv {
  executionId: Hex;
  capabilities: Map<string, Capability>;
  secrets: SecretsProvider;
  owner: Hex;
  maxCapabilityResponseBytes: number;
  /** Per-execution call and size limits (host defaults where omitted: none). */
  limits?: Partial<
    Pick<
      CreLimits,
      | "maxChainReads"
      | "maxChainWrites"
      | "maxWriteGas"
      | "maxWriteReportBytes"
      | "maxHttpCalls"
      | "maxConsensusCalls"
      | "maxObservationBytes"
      | "maxSecretsCalls"
    >
  >;
  restrictions?: SDK_PB.Restrictions;
  log(message: string): void;
  onCall?: (capability: string, method: string, outcome: "ok" | "error" | "not_found") => void;
}

function errorResponse(message: string): SDK_PB.CapabilityResponse {
  return create(SDK_PB.CapabilityResponseSchema, { response: { case: "error", value: message } });
}

/**
 * The host side of one execution: decodes the SDK's requests, starts capability calls (which run
 * concurrently and are awaited in whatever order the workflow asks), serves secrets, and enforces
 * the pre-hook's restrictions.
 */
export class Execution implements ExecutionHandlers {
  private readonly calls = new Map<number, Promise<SDK_PB.CapabilityResponse>>();
  private readonly secretCalls = new Map<number, SDK_PB.SecretResponses>();
  private readonly perMethod = new Map<string, number>();
  private totalCalls = 0;
  private secretsServed = 0;
  private readonly limitCounts = new Map<string, number>();
  mode: SDK_PB.Mode = SDK_PB.Mode.DON;
  readonly logs: string[] = [];

  constructor(private readonly env: ExecutionEnv) {}

  private restrictionError(req: SDK_PB.CapabilityRequest): string | undefined {
    const caps = this.env.restrictions?.capabilities;
    if (!caps) return undefined;
    const key = `${req.id}#${req.method}`;
    const used = (this.perMethod.get(key) ?? 0) + 1;
    this.perMethod.set(key, used);
    this.totalCalls++;
    if (caps.maxTotalCalls > 0 && this.totalCalls > caps.maxTotalCalls) {
      return `restriction: at most ${caps.maxTotalCalls} capability calls per execution`;
    }
    for (const r of caps.restrictions) {
      if (r.restriction.case !== "method") continue;
      const m = r.restriction.value;
      if (m.id === req.id && m.method === req.method && used > m.maxCalls) {
        return `restriction: at most ${m.maxCalls} calls to ${req.id} ${req.method}`;
      }
    }
    return undefined;
  }

  /** Why CRE's per-execution limits refuse this call, if they do (counts the call). */
  private limitError(req: SDK_PB.CapabilityRequest): string | undefined {
    const l = this.env.limits ?? {};
    const count = (kind: string, limit: number | undefined, what: string): string | undefined => {
      const used = (this.limitCounts.get(kind) ?? 0) + 1;
      this.limitCounts.set(kind, used);
      return limit !== undefined && used > limit
        ? `limit: at most ${limit} ${what} per execution (call ${used} refused)`
        : undefined;
    };
    if (req.id.startsWith("evm:")) {
      if (req.method !== "WriteReport") return count("chainRead", l.maxChainReads, "chain reads");
      const write = req.payload ? anyUnpack(req.payload, EVM_PB.WriteReportRequestSchema) : undefined;
      const gas = write?.gasConfig?.gasLimit ?? 0n;
      if (l.maxWriteGas !== undefined && gas > BigInt(Math.min(l.maxWriteGas, Number.MAX_SAFE_INTEGER))) {
        return `limit: a write may ask for at most ${l.maxWriteGas} gas, this one asks for ${gas}`;
      }
      const size = write?.report?.rawReport.length ?? 0;
      if (l.maxWriteReportBytes !== undefined && size > l.maxWriteReportBytes) {
        return `limit: a written report of ${size} bytes (metadata and body) exceeds the ${l.maxWriteReportBytes}-byte limit`;
      }
      return count("chainWrite", l.maxChainWrites, "chain writes");
    }
    if (req.id.startsWith("http-actions@")) return count("http", l.maxHttpCalls, "HTTP requests");
    if (req.id.startsWith("consensus@")) {
      if (req.method === "Simple" && l.maxObservationBytes !== undefined && req.payload) {
        const input = anyUnpack(req.payload, SDK_PB.SimpleConsensusInputsSchema);
        const size =
          input?.observation.case === "value"
            ? toBinary(VALUES_PB.ValueSchema, input.observation.value).length
            : 0;
        if (size > l.maxObservationBytes) {
          return `limit: a consensus observation of ${size} bytes exceeds the ${l.maxObservationBytes}-byte limit`;
        }
      }
      return count("consensus", l.maxConsensusCalls, "consensus calls");
    }
    return undefined;
  }

  callCapability(bytes: Uint8Array): boolean {
    const req = fromBinary(SDK_PB.CapabilityRequestSchema, bytes);
    const cap = this.env.capabilities.get(req.id);
    if (!cap) {
      this.env.log(`capability ${req.id} not found`);
      this.env.onCall?.(req.id, req.method, "not_found");
      return false;
    }
    const denied = this.limitError(req) ?? this.restrictionError(req);
    const run = async (): Promise<SDK_PB.CapabilityResponse> => {
      if (denied) return errorResponse(denied);
      try {
        const payload = await cap.call(
          req.method,
          req.payload ?? anyPack(SDK_PB.CapabilityRequestSchema, req),
          {
            executionId: this.env.executionId,
            callbackId: req.callbackId,
            log: (m) => this.log(m),
          },
        );
        this.env.onCall?.(req.id, req.method, "ok");
        return create(SDK_PB.CapabilityResponseSchema, { response: { case: "payload", value: payload } });
      } catch (err) {
        this.env.onCall?.(req.id, req.method, "error");
        return errorResponse(err instanceof Error ? err.message : String(err));
      }
    };
    this.calls.set(req.callbackId, run());
    return true;
  }

  async awaitCapabilities(bytes: Uint8Array, maxResponseSize: number): Promise<Uint8Array> {
    const req = fromBinary(SDK_PB.AwaitCapabilitiesRequestSchema, bytes);
    const responses: Record<number, SDK_PB.CapabilityResponse> = {};
    for (const id of req.ids) {
      const call = this.calls.get(id);
      if (!call) throw new CreHostError("CAPABILITY_FAILED", `no capability call with callback id ${id}`);
      this.calls.delete(id);
      const r = await call;
      const size = r.response.case === "payload" ? (r.response.value as Any).value.length : 0;
      responses[id] =
        size > this.env.maxCapabilityResponseBytes
          ? errorResponse(
              `capability response of ${size} bytes exceeds the ${this.env.maxCapabilityResponseBytes}-byte limit`,
            )
          : r;
    }
    const out = toBinary(
      SDK_PB.AwaitCapabilitiesResponseSchema,
      create(SDK_PB.AwaitCapabilitiesResponseSchema, { responses }),
    );
    const limit = maxResponseSize > 0 ? maxResponseSize : Number.POSITIVE_INFINITY;
    if (out.length > limit) {
      throw new CreHostError(
        "RESPONSE_TOO_LARGE",
        `capability responses of ${out.length} bytes exceed the workflow's ${maxResponseSize}-byte response buffer`,
      );
    }
    return out;
  }

  private secretAllowed(id: string, namespace: string): boolean {
    const s = this.env.restrictions?.secrets;
    if (!s) return true;
    if (s.maxSecrets > 0 && this.secretsServed >= s.maxSecrets) return false;
    if (s.restrictions.length === 0) return true;
    return s.restrictions.some((r) =>
      r.restriction.case === "exactSecret"
        ? r.restriction.value.id === id && (r.restriction.value.namespace || "main") === namespace
        : r.restriction.case === "prefixedSecret"
          ? id.startsWith(r.restriction.value.prefix) &&
            (r.restriction.value.namespace || "main") === namespace
          : false,
    );
  }

  getSecrets(bytes: Uint8Array): void {
    const req = fromBinary(SDK_PB.GetSecretsRequestSchema, bytes);
    const owner = this.env.owner;
    const secretsCalls = (this.limitCounts.get("secrets") ?? 0) + 1;
    this.limitCounts.set("secrets", secretsCalls);
    const overLimit = secretsCalls > (this.env.limits?.maxSecretsCalls ?? Number.POSITIVE_INFINITY);
    const responses = req.requests.map((r) => {
      const namespace = r.namespace || "main";
      if (overLimit) {
        return create(SDK_PB.SecretResponseSchema, {
          response: {
            case: "error",
            value: {
              id: r.id,
              namespace,
              owner,
              error: `limit: at most ${this.env.limits?.maxSecretsCalls} secrets requests per execution`,
            },
          },
        });
      }
      const allowed = this.secretAllowed(r.id, namespace);
      const value = allowed ? this.env.secrets(r.id, namespace) : undefined;
      if (value !== undefined) this.secretsServed++;
      return create(SDK_PB.SecretResponseSchema, {
        response:
          value === undefined
            ? {
                case: "error",
                value: {
                  id: r.id,
                  namespace,
                  owner,
                  error: allowed
                    ? "secret not found on this node"
                    : "secret not allowed by the pre-hook restrictions",
                },
              }
            : { case: "secret", value: { id: r.id, namespace, owner, value } },
      });
    });
    this.secretCalls.set(req.callbackId, create(SDK_PB.SecretResponsesSchema, { responses }));
  }

  async awaitSecrets(bytes: Uint8Array, maxResponseSize: number): Promise<Uint8Array> {
    const req = fromBinary(SDK_PB.AwaitSecretsRequestSchema, bytes);
    const responses: Record<number, SDK_PB.SecretResponses> = {};
    for (const id of req.ids) {
      const r = this.secretCalls.get(id);
      if (!r) throw new CreHostError("CAPABILITY_FAILED", `no secrets request with callback id ${id}`);
      this.secretCalls.delete(id);
      responses[id] = r;
    }
    const out = toBinary(
      SDK_PB.AwaitSecretsResponseSchema,
      create(SDK_PB.AwaitSecretsResponseSchema, { responses }),
    );
    if (maxResponseSize > 0 && out.length > maxResponseSize) {
      throw new CreHostError(
        "RESPONSE_TOO_LARGE",
        `secrets of ${out.length} bytes exceed the response buffer`,
      );
    }
    return out;
  }

  switchModes(mode: number): void {
    this.mode = mode;
  }

  log(message: string): void {
    this.logs.push(message);
    this.env.log(message);
  }
}
