import { readFile } from "node:fs/promises";
import { CreHostError } from "./errors";
import { type CreLimits, SIMULATOR_HTTP_RESPONSE_BYTES, simulatorLimits } from "./options";

/** What a `--limits` file sets: the host's limits and the simulator's HTTP response limit. */
export interface SimulationLimits {
  limits: CreLimits;
  httpMaxResponseBytes: number;
  /** Keys the file sets that `cre` knows but Vigil's simulator does not enforce. */
  notEnforced: string[];
  /** Keys that are not in `cre`'s limits file at all (ignored, as `cre` ignores them). */
  unknown: string[];
}

/** The value kinds of chainlink-common's `cresettings` (each written as a JSON string). */
type Kind = "duration" | "size" | "int" | "uint" | "bool" | "rate" | "string";

/**
 * The per-workflow keys of the CRE CLI's limits file (`cre workflow limits export`, which is
 * chainlink-common's `cresettings.PerWorkflow`) and their kinds. `Values` maps under a `GasLimit`
 * or `ChainAllowed` take per-chain-selector overrides of the same kind as `Default`.
 */
const KEYS: Record<string, Kind> = {
  TriggerRegistrationsTimeout: "duration",
  TriggerSubscriptionTimeout: "duration",
  TriggerSubscriptionLimit: "int",
  TriggerEventQueueLimit: "int",
  TriggerEventQueueTimeout: "duration",
  CapabilityConcurrencyLimit: "int",
  CapabilityCallTimeout: "duration",
  SecretsConcurrencyLimit: "int",
  ExecutionConcurrencyLimit: "int",
  ExecutionTimeout: "duration",
  ExecutionResponseLimit: "size",
  ExecutionTimestampsEnabled: "bool",
  WASMMemoryLimit: "size",
  WASMBinarySizeLimit: "size",
  WASMCompressedBinarySizeLimit: "size",
  WASMConfigSizeLimit: "size",
  WASMSecretsSizeLimit: "size",
  LogLineLimit: "size",
  LogEventLimit: "int",
  UserMetricEnabled: "bool",
  UserMetricPayloadLimit: "size",
  UserMetricNameLengthLimit: "int",
  UserMetricLabelsPerMetric: "int",
  UserMetricLabelValueLength: "int",
  "ChainAllowed.Default": "bool",
  "CRONTrigger.FastestScheduleInterval": "duration",
  "HTTPTrigger.RateLimit": "rate",
  "LogTrigger.EventRateLimit": "rate",
  "LogTrigger.EventSizeLimit": "size",
  "LogTrigger.FilterAddressLimit": "int",
  "LogTrigger.FilterTopicsPerSlotLimit": "int",
  "ChainWrite.TargetsLimit": "int",
  "ChainWrite.ReportSizeLimit": "size",
  "ChainWrite.EVM.TransactionGasLimit": "uint",
  "ChainWrite.EVM.ReportSizeLimit": "size",
  "ChainWrite.EVM.GasLimit.Default": "uint",
  "ChainWrite.Solana.ReportSizeLimit": "size",
  "ChainWrite.Solana.GasLimit.Default": "uint",
  "ChainWrite.Aptos.ReportSizeLimit": "size",
  "ChainWrite.Aptos.GasLimit.Default": "uint",
  "ChainRead.CallLimit": "int",
  "ChainRead.LogQueryBlockLimit": "int",
  "ChainRead.PayloadSizeLimit": "size",
  "Consensus.ObservationSizeLimit": "size",
  "Consensus.CallLimit": "int",
  "HTTPAction.CallLimit": "int",
  "HTTPAction.CacheAgeLimit": "duration",
  "HTTPAction.ConnectionTimeout": "duration",
  "HTTPAction.RequestSizeLimit": "size",
  "HTTPAction.ResponseSizeLimit": "size",
  "HTTPAction.GatewayProxyDonID": "string",
  "ConfidentialHTTP.CallLimit": "int",
  "ConfidentialHTTP.ConnectionTimeout": "duration",
  "ConfidentialHTTP.RequestSizeLimit": "size",
  "ConfidentialHTTP.ResponseSizeLimit": "size",
  "ConfidentialWorkflows.Enabled": "bool",
  "Secrets.CallLimit": "int",
  "DONTime.RequestTimeout": "duration",
};

/** The keys Vigil's simulator enforces, and where each lands (the rest are checked, then noted). */
const ENFORCED: Record<string, (v: number, out: SimulationLimits) => void> = {
  ExecutionTimeout: (v, o) => (o.limits.executionTimeoutMs = v),
  ExecutionResponseLimit: (v, o) => (o.limits.maxResponseBytes = v),
  ExecutionConcurrencyLimit: (v, o) => (o.limits.maxConcurrentExecutions = v),
  // The worker's heap limit is in MiB; the file's size is in bytes.
  WASMMemoryLimit: (v, o) => (o.limits.maxMemoryMb = Math.max(1, Math.ceil(v / 2 ** 20))),
  WASMConfigSizeLimit: (v, o) => (o.limits.maxConfigBytes = v),
  "ChainWrite.TargetsLimit": (v, o) => (o.limits.maxChainWrites = v),
  // `cre` checks EVM writes against ChainWrite.EVM.ReportSizeLimit; files exported before that key
  // existed carry only ChainWrite.ReportSizeLimit, which the EVM key overrides when both are set.
  "ChainWrite.ReportSizeLimit": () => {},
  "ChainWrite.EVM.ReportSizeLimit": (v, o) => (o.limits.maxWriteReportBytes = v),
  "ChainWrite.EVM.GasLimit.Default": (v, o) => (o.limits.maxWriteGas = v),
  "ChainRead.CallLimit": (v, o) => (o.limits.maxChainReads = v),
  "Consensus.ObservationSizeLimit": (v, o) => (o.limits.maxObservationBytes = v),
  "Consensus.CallLimit": (v, o) => (o.limits.maxConsensusCalls = v),
  "HTTPAction.CallLimit": (v, o) => (o.limits.maxHttpCalls = v),
  "HTTPAction.ResponseSizeLimit": (v, o) => (o.httpMaxResponseBytes = v),
  "Secrets.CallLimit": (v, o) => (o.limits.maxSecretsCalls = v),
};

/** Go's `time.ParseDuration` units, in milliseconds. */
const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration ("5m0s", "1.5h", "300ms", "0") in milliseconds, or undefined. */
function parseDuration(s: string): number | undefined {
  if (s === "0") return 0;
  const parts = [...s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== s) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
}

/** Decimal units, as chainlink-common's `config.Size` reads them (1kb = 1,000 bytes). */
const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

/** A `config.Size` ("100kb", "1mb", "50000") in bytes, or undefined (also for fractional bytes). */
function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?)(tb|gb|mb|kb|b)?$/.exec(s.trim().toLowerCase());
  if (!m) return undefined;
  const bytes = Number(m[1]) * SIZE_UNITS[m[2] ?? ""]!;
  return Number.isSafeInteger(Math.round(bytes)) && Math.abs(bytes - Math.round(bytes)) < 1e-6
    ? Math.round(bytes)
    : undefined;
}

const EXPECTED: Record<Kind, string> = {
  duration: 'a Go duration such as "5m0s" or "30s"',
  size: 'a size such as "100kb" or "50000" (kb = 1,000 bytes)',
  int: 'a non-negative integer such as "15"',
  uint: 'a non-negative integer such as "10000000"',
  bool: '"true" or "false"',
  rate: 'a rate such as "every30s:1" or "10rps:5"',
  string: "a string",
};

/** A value of one kind as a number (milliseconds, bytes, a count, 0/1), or undefined if malformed. */
function parseValue(kind: Kind, s: string): number | undefined {
  switch (kind) {
    case "duration":
      return parseDuration(s);
    case "size":
      return parseSize(s);
    case "int":
    case "uint":
      return /^\d+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : undefined;
    case "bool":
      return /^(1|t|T|TRUE|true|True)$/.test(s) ? 1 : /^(0|f|F|FALSE|false|False)$/.test(s) ? 0 : undefined;
    case "rate": {
      const m = /^(?:every(.+)|(\d+(?:\.\d*)?)(?:rps)?)[:,](\d+)$/.exec(s);
      return m && (m[1] === undefined || parseDuration(m[1]) !== undefined) ? 0 : undefined;
    }
    case "string":
      return 0;
  }
}

/** The kind of a dotted key, counting `…GasLimit.Values.<selector>` and `ChainAllowed.Values.<selector>`. */
function kindOf(key: string): Kind | undefined {
  const values = /^(.*)\.Values\.[^.]+$/.exec(key);
  return values ? KEYS[`${values[1]}.Default`] : KEYS[key];
}

/**
 * Reads a CRE CLI limits file (`cre workflow limits export`, the JSON `cre workflow simulate
 * --limits FILE` takes) over the simulator's defaults, as `cre` does: keys the file leaves out keep
 * their default. Every value is a JSON string in chainlink-common's formats. A value that does not
 * parse is an error naming the file, the key and the expected form.
 */
export function parseLimitsFile(text: string, file: string): SimulationLimits {
  const bad = (message: string, key?: string, cause?: unknown) =>
    new CreHostError("INVALID_CONFIG", `limits file ${file}: ${message}`, { file, key }, { cause });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw bad(`not JSON: ${(cause as Error).message}`, undefined, cause);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw bad("expected a JSON object");

  const out: SimulationLimits = {
    limits: { ...simulatorLimits },
    httpMaxResponseBytes: SIMULATOR_HTTP_RESPONSE_BYTES,
    notEnforced: [],
    unknown: [],
  };
  const values = new Map<string, number>();
  const walk = (node: object, prefix: string) => {
    for (const [name, value] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        walk(value, key);
        continue;
      }
      const kind = kindOf(key);
      if (!kind) {
        out.unknown.push(key);
        continue;
      }
      if (typeof value !== "string") {
        throw bad(`${key}: expected a JSON string (${EXPECTED[kind]}), got ${JSON.stringify(value)}`, key);
      }
      const parsed = parseValue(kind, value);
      if (parsed === undefined) throw bad(`${key}: "${value}" is not ${EXPECTED[kind]}`, key);
      values.set(key, parsed);
      if (!ENFORCED[key]) out.notEnforced.push(key);
    }
  };
  walk(doc, "");
  for (const [key, v] of values) ENFORCED[key]?.(v, out);
  const evm = values.get("ChainWrite.EVM.ReportSizeLimit");
  const any = values.get("ChainWrite.ReportSizeLimit");
  if (evm === undefined && any !== undefined) out.limits.maxWriteReportBytes = any;
  return out;
}

/** Reads and parses a `--limits` file. */
export async function readLimitsFile(file: string): Promise<SimulationLimits> {
  const text = await readFile(file, "utf8").catch((cause) => {
    throw new CreHostError("INVALID_CONFIG", `cannot read limits file ${file}`, { file }, { cause });
  });
  return parseLimitsFile(text, file);
}
