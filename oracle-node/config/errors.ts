/** One problem with one configuration key. `key` is the dotted TOML path (`api.port`). */
export interface ConfigIssue {
  key: string;
  message: string;
  /** Set when the value came from an environment variable rather than the file. */
  env?: string;
}

/**
 * The configuration could not be read or is invalid. The message lists every offending key with
 * what was expected, so an operator fixes them all in one go.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly code: "CONFIG_NOT_FOUND" | "CONFIG_PARSE" | "CONFIG_INVALID";
  readonly issues: ConfigIssue[];

  constructor(
    code: ConfigError["code"],
    summary: string,
    issues: ConfigIssue[] = [],
    options?: { cause?: unknown },
  ) {
    const lines = issues.map((i) => `  - ${i.key}${i.env ? ` (from ${i.env})` : ""}: ${i.message}`);
    super([summary, ...lines].join("\n"), options);
    this.code = code;
    this.issues = issues;
  }
}
