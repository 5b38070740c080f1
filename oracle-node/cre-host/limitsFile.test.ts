import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLimitsFile, readLimitsFile } from "./limitsFile";
import { SIMULATOR_HTTP_RESPONSE_BYTES, simulatorLimits } from "./options";

/**
 * The values of the CRE CLI's default limits file (`cre workflow limits export`; cre-cli
 * `cmd/workflow/simulate/limits.json` after cre-cli #489), every value a string as `cre` writes it.
 */
const CRE_CLI_DEFAULTS = {
  TriggerRegistrationsTimeout: "10s",
  TriggerSubscriptionTimeout: "15s",
  TriggerSubscriptionLimit: "10",
  TriggerEventQueueLimit: "50",
  TriggerEventQueueTimeout: "10m0s",
  CapabilityConcurrencyLimit: "30",
  CapabilityCallTimeout: "3m0s",
  SecretsConcurrencyLimit: "5",
  ExecutionConcurrencyLimit: "50",
  ExecutionTimeout: "5m0s",
  ExecutionResponseLimit: "100kb",
  ExecutionTimestampsEnabled: "false",
  WASMMemoryLimit: "100mb",
  WASMBinarySizeLimit: "100mb",
  WASMCompressedBinarySizeLimit: "20mb",
  WASMConfigSizeLimit: "1mb",
  WASMSecretsSizeLimit: "1mb",
  LogLineLimit: "1kb",
  LogEventLimit: "1000",
  CRONTrigger: { FastestScheduleInterval: "30s" },
  HTTPTrigger: { RateLimit: "every30s:1" },
  LogTrigger: {
    EventRateLimit: "every6s:10",
    EventSizeLimit: "5kb",
    FilterAddressLimit: "5",
    FilterTopicsPerSlotLimit: "10",
  },
  ChainWrite: {
    TargetsLimit: "10",
    ReportSizeLimit: "50kb",
    EVM: {
      TransactionGasLimit: "10000000",
      ReportSizeLimit: "50000",
      GasLimit: { Default: "10000000", Values: {} },
    },
    Solana: { ReportSizeLimit: "265b", GasLimit: { Default: "300000", Values: {} } },
  },
  ChainRead: { CallLimit: "15", LogQueryBlockLimit: "100", PayloadSizeLimit: "5kb" },
  Consensus: { ObservationSizeLimit: "25kb", CallLimit: "50" },
  HTTPAction: {
    CallLimit: "15",
    CacheAgeLimit: "10m0s",
    ConnectionTimeout: "10s",
    RequestSizeLimit: "120kb",
    ResponseSizeLimit: "250kb",
  },
  ConfidentialHTTP: {
    CallLimit: "15",
    ConnectionTimeout: "90s",
    RequestSizeLimit: "125kb",
    ResponseSizeLimit: "500kb",
  },
  Secrets: { CallLimit: "5" },
};

const parse = (doc: unknown) => parseLimitsFile(JSON.stringify(doc), "my-limits.json");

describe("CRE CLI limits files (--limits FILE)", () => {
  it("reads the CLI's exported defaults as exactly the simulator's defaults", () => {
    const read = parse(CRE_CLI_DEFAULTS);
    expect(read.limits).toEqual({ ...simulatorLimits, maxConcurrentExecutions: 50 });
    expect(read.httpMaxResponseBytes).toBe(SIMULATOR_HTTP_RESPONSE_BYTES);
    expect(read.unknown).toEqual([]);
    expect(read.notEnforced).toContain("CapabilityCallTimeout");
    expect(read.notEnforced).toContain("ConfidentialHTTP.ResponseSizeLimit");
    expect(read.notEnforced).not.toContain("Consensus.CallLimit");
  });

  it("overrides only the keys a file sets, reading sizes as decimal and Go durations", () => {
    const read = parse({
      ExecutionTimeout: "1m30s",
      WASMConfigSizeLimit: "2.5kb",
      HTTPAction: { CallLimit: "3", ResponseSizeLimit: "7kb" },
      ChainWrite: { ReportSizeLimit: "9kb" },
    });
    expect(read.limits).toEqual({
      ...simulatorLimits,
      executionTimeoutMs: 90_000,
      maxConfigBytes: 2_500,
      maxHttpCalls: 3,
      // A file with only the older ChainWrite.ReportSizeLimit still limits EVM writes.
      maxWriteReportBytes: 9_000,
    });
    expect(read.httpMaxResponseBytes).toBe(7_000);
    // ChainWrite.EVM.ReportSizeLimit is what `cre` checks EVM writes against, whatever the order.
    expect(
      parse({ ChainWrite: { EVM: { ReportSizeLimit: "100b" }, ReportSizeLimit: "9kb" } }).limits
        .maxWriteReportBytes,
    ).toBe(100);
  });

  it("lists keys cre does not know instead of failing on them, as cre ignores them", () => {
    const read = parse({ ExecutionTimeoutt: "1s", ChainRead: { CallLimitt: "1" } });
    expect(read.unknown).toEqual(["ExecutionTimeoutt", "ChainRead.CallLimitt"]);
    expect(read.limits).toEqual(simulatorLimits);
  });

  it.each([
    [
      { ChainRead: { CallLimit: "lots" } },
      /my-limits\.json: ChainRead\.CallLimit: "lots" is not a non-negative integer/,
    ],
    [
      { ChainRead: { CallLimit: 15 } },
      /ChainRead\.CallLimit: expected a JSON string \(a non-negative integer such as "15"\), got 15/,
    ],
    [{ ExecutionResponseLimit: "100KiB" }, /ExecutionResponseLimit: "100KiB" is not a size such as "100kb"/],
    [{ WASMConfigSizeLimit: "1.0005kb" }, /WASMConfigSizeLimit: "1\.0005kb" is not a size/],
    [{ ExecutionTimeout: "5 minutes" }, /ExecutionTimeout: "5 minutes" is not a Go duration/],
    [{ HTTPTrigger: { RateLimit: "fast" } }, /HTTPTrigger\.RateLimit: "fast" is not a rate/],
    [{ ExecutionTimestampsEnabled: "yes" }, /ExecutionTimestampsEnabled: "yes" is not "true" or "false"/],
    [
      { ChainWrite: { EVM: { GasLimit: { Values: { "1": "-5" } } } } },
      /ChainWrite\.EVM\.GasLimit\.Values\.1: "-5"/,
    ],
    [[1, 2], /my-limits\.json: expected a JSON object/],
  ])("refuses a malformed value, naming the file and the key: %j", (doc, message) => {
    expect(() => parse(doc)).toThrow(message);
  });

  it("refuses a file that is not JSON or cannot be read", async () => {
    expect(() => parseLimitsFile("{ExecutionTimeout: 5m}", "my-limits.json")).toThrow(
      /^limits file my-limits\.json: not JSON: /,
    );
    const dir = await mkdtemp("/tmp/cre-limits-");
    await expect(readLimitsFile(join(dir, "missing.json"))).rejects.toThrow(
      `cannot read limits file ${join(dir, "missing.json")}`,
    );
    await writeFile(join(dir, "ok.json"), JSON.stringify({ Secrets: { CallLimit: "1" } }));
    expect((await readLimitsFile(join(dir, "ok.json"))).limits.maxSecretsCalls).toBe(1);
  });
});
