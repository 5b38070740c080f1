import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  level: string;
  /** Where JSON lines go (default stdout); tests pass a stream to read them back. */
  destination?: DestinationStream;
  /** Fields on every line, e.g. `{ node: "<peer id>" }` when several nodes share a process. */
  base?: Record<string, unknown>;
}

/**
 * The node's root logger: one JSON object per line (pino), `"level":"info"` by name and `"time"` in
 * ISO 8601 UTC (`2026-01-01T00:00:00.000Z`), the same format as the device agent's
 * (attestation/agent/cli.ts), so one log pipeline reads both. Each module takes
 * `logger.child({ module: "<name>" })` so lines can be filtered per module.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Keys and tokens must never reach a log line, even by accident in a context object.
      redact: { paths: ["adminToken", "*.adminToken", "privateKey", "*.privateKey"], censor: "[redacted]" },
    },
    options.destination,
  );
}
