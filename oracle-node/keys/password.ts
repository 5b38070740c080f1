import { readFileSync } from "node:fs";
import { KeysError } from "./errors";

/** A keystore password and where it came from (named in errors, never the password itself). */
export interface Password {
  value: string;
  from: string;
}

/** Asked for a password only when an encrypted file is met, so plaintext (devnet) nodes need none. */
export type PasswordSource = (file: string) => Password;

export interface PasswordSourceOptions {
  /** `--password-file`: wins over everything else. */
  passwordFile?: string;
  /** `keys.password_file` from the config (itself overridden by VIGIL_KEYSTORE_PASSWORD_FILE there). */
  configPasswordFile?: string;
  /** Default: `process.env`. */
  env?: Record<string, string | undefined>;
}

/** Reads a password file: its first line (a trailing newline is not part of the password, as with geth). */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new KeysError(
      "KEYS_BAD_PASSWORD_FILE",
      `cannot read password file ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`,
      { file },
      { cause },
    );
  }
  const value = text.split(/\r?\n/)[0]!;
  if (value === "") throw new KeysError("KEYS_BAD_PASSWORD_FILE", `password file ${file} is empty`, { file });
  return value;
}

/**
 * The password from the first source set, in order: `--password-file`, `VIGIL_KEYSTORE_PASSWORD`,
 * `VIGIL_KEYSTORE_PASSWORD_FILE`, the config's `keys.password_file`; `undefined` when none is.
 */
export function resolvePassword(o: PasswordSourceOptions = {}): Password | undefined {
  const env = o.env ?? process.env;
  const envFile = env.VIGIL_KEYSTORE_PASSWORD_FILE || undefined;
  if (o.passwordFile)
    return { value: readPasswordFile(o.passwordFile), from: `--password-file ${o.passwordFile}` };
  if (env.VIGIL_KEYSTORE_PASSWORD)
    return { value: env.VIGIL_KEYSTORE_PASSWORD, from: "VIGIL_KEYSTORE_PASSWORD" };
  if (envFile) return { value: readPasswordFile(envFile), from: `VIGIL_KEYSTORE_PASSWORD_FILE (${envFile})` };
  if (o.configPasswordFile)
    return {
      value: readPasswordFile(o.configPasswordFile),
      from: `keys.password_file (${o.configPasswordFile})`,
    };
  return undefined;
}

/** What to set, for messages about a missing password. */
export const PASSWORD_HINT =
  "set VIGIL_KEYSTORE_PASSWORD, or name a file holding it with --password-file, VIGIL_KEYSTORE_PASSWORD_FILE " +
  "or keys.password_file in node.toml";

/** A password source that resolves (once) on first use, so plaintext (devnet) nodes need none. */
export function passwordSource(o: PasswordSourceOptions = {}): PasswordSource {
  let cached: Password | undefined;
  return (file) => {
    cached ??= resolvePassword(o);
    if (!cached)
      throw new KeysError(
        "KEYS_NO_PASSWORD",
        `${file} is an encrypted keystore and no password is set: ${PASSWORD_HINT}`,
        { file },
      );
    return cached;
  };
}

/** A fixed password (tests, and commands that already asked for one). */
export const fixedPassword =
  (value: string, from = "the given password"): PasswordSource =>
  () => ({ value, from });
