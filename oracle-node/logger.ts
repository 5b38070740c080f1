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
 * The node's root logger: JSON lines (pino) with ISO timestamps. Each module takes
 * `logger.child({ module: "<name>" })` so lines can be filtered per module.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      // Keys and tokens must never reach a log line, even by accident in a context object.
      redact: { paths: ["adminToken", "*.adminToken", "privateKey", "*.privateKey"], censor: "[redacted]" },
    },
    options.destination,
  );
}
