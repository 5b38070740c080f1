import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { ChainError } from "./errors";

/** Reads the node's Ethereum signer key (0x-prefixed hex in a text file). */
export function loadSignerKey(file: string): PrivateKeyAccount {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (cause) {
    throw new ChainError(
      "CHAIN_BAD_KEY_FILE",
      `cannot read signer key ${file}; run \`vigil node init\``,
      { file },
      { cause },
    );
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw new ChainError("CHAIN_BAD_KEY_FILE", `signer key ${file} is not 32 bytes of 0x-prefixed hex`, {
      file,
    });
  return privateKeyToAccount(text as `0x${string}`);
}

/** Creates a new signer key file (mode 0600) unless one exists; returns the account either way. */
export function loadOrCreateSignerKey(file: string): PrivateKeyAccount {
  if (existsSync(file)) return loadSignerKey(file);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${generatePrivateKey()}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return loadSignerKey(file);
}
