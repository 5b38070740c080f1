export type KeysErrorCode =
  /** A keystore is encrypted and no password source is set. */
  | "KEYS_NO_PASSWORD"
  /** The password does not open the keystore (its MAC does not match). */
  | "KEYS_WRONG_PASSWORD"
  /** The file is neither a keystore nor a plaintext key of the expected kind. */
  | "KEYS_BAD_FILE"
  /** A keystore uses a KDF, cipher or parameters this node does not accept. */
  | "KEYS_UNSUPPORTED"
  /** The password file cannot be read or is empty. */
  | "KEYS_BAD_PASSWORD_FILE"
  /** A key file exists where a command would write one. */
  | "KEYS_EXISTS";

export class KeysError extends Error {
  override readonly name = "KeysError";
  constructor(
    readonly code: KeysErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
