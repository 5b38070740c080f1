// The node's two key files, each either a v3 keystore (JSON, the default) or today's plaintext form
// (libp2p protobuf bytes / 0x hex), told apart by content so existing nodes and the devnet keep working.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { bytesToHex, type Hex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { KeysError } from "./errors";
import {
  decryptKeystore,
  encryptKeystore,
  type ParsedKeystore,
  PEER_KEY_KIND,
  parseKeystore,
} from "./keystore";
import type { PasswordSource } from "./password";

export type KeyFormat = "keystore" | "plaintext";

export interface SignerKey {
  account: PrivateKeyAccount;
  privateKey: Hex;
  format: KeyFormat;
}
export interface PeerKey {
  key: PrivateKey;
  peerId: string;
  format: KeyFormat;
}

/** How `write*Key` stores a key: encrypted with `password` (standard scrypt unless `scryptN`), or plaintext. */
export type KeyWriteOptions = ({ password: string; scryptN?: number } | { plaintext: true }) & {
  /** Replace an existing file (default: refuse). */
  overwrite?: boolean;
};

function readBytes(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new KeysError(
      "KEYS_BAD_FILE",
      code === "ENOENT"
        ? `${what} ${file} does not exist; run \`vigil node init\` or \`vigil node keys import\``
        : `cannot read ${what} ${file} (${code ?? (cause as Error).message})`,
      { file },
      { cause },
    );
  }
}

/** A JSON keystore starts with `{`; a protobuf Ed25519 key starts with 0x08 and a hex key with `0x`. */
function isKeystore(bytes: Buffer): boolean {
  return bytes.toString("utf8", 0, 64).trimStart().startsWith("{");
}

async function open(ks: ParsedKeystore, file: string, password: PasswordSource): Promise<Buffer> {
  const p = password(file);
  try {
    return await decryptKeystore(ks, p.value, file);
  } catch (error) {
    if (error instanceof KeysError && error.code === "KEYS_WRONG_PASSWORD")
      throw new KeysError(
        "KEYS_WRONG_PASSWORD",
        `wrong password for ${file} (password from ${p.from}), or the file was altered (its MAC does not match)`,
        { file, from: p.from },
      );
    throw error;
  }
}

function signerFromHex(text: string, file: string): PrivateKeyAccount {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw new KeysError(
      "KEYS_BAD_FILE",
      `${file} is neither a v3 keystore nor 32 bytes of 0x-prefixed hex (an Ethereum key)`,
      { file },
    );
  return privateKeyToAccount(text as Hex);
}

/** Reads the Ethereum signer key: a v3 keystore (decrypted with `password`) or 0x hex. */
export async function readSignerKey(file: string, password: PasswordSource): Promise<SignerKey> {
  const bytes = readBytes(file, "signer key");
  if (!isKeystore(bytes)) {
    const privateKey = bytes.toString("utf8").trim() as Hex;
    return { account: signerFromHex(privateKey, file), privateKey, format: "plaintext" };
  }
  const ks = parseKeystore(bytes.toString("utf8"), file);
  if (ks.kind === PEER_KEY_KIND)
    throw new KeysError("KEYS_BAD_FILE", `${file} holds a libp2p peer key, not an Ethereum signer key`, {
      file,
    });
  const secret = await open(ks, file, password);
  if (secret.length !== 32)
    throw new KeysError("KEYS_BAD_FILE", `${file} decrypts to ${secret.length} bytes, not a 32-byte key`, {
      file,
    });
  const privateKey = bytesToHex(secret);
  const account = privateKeyToAccount(privateKey);
  if (ks.address && ks.address.replace(/^0x/, "").toLowerCase() !== account.address.slice(2).toLowerCase())
    throw new KeysError(
      "KEYS_BAD_FILE",
      `${file} says address 0x${ks.address.replace(/^0x/, "")} but holds the key of ${account.address}`,
      { file },
    );
  return { account, privateKey, format: "keystore" };
}

function peerFromProtobuf(bytes: Uint8Array, file: string): PeerKey["key"] {
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (cause) {
    throw new KeysError(
      "KEYS_BAD_FILE",
      `${file} is neither a v3 keystore nor a libp2p protobuf private key`,
      { file },
      { cause },
    );
  }
  if (key.type !== "Ed25519")
    throw new KeysError("KEYS_BAD_FILE", `peer key ${file} is ${key.type}, expected Ed25519`, { file });
  return key;
}

/** Reads the libp2p peer key: a typed v3 keystore (decrypted with `password`) or raw protobuf. */
export async function readPeerKey(file: string, password: PasswordSource): Promise<PeerKey> {
  const bytes = readBytes(file, "peer key");
  if (!isKeystore(bytes)) {
    const key = peerFromProtobuf(bytes, file);
    return { key, peerId: peerIdFromPrivateKey(key).toString(), format: "plaintext" };
  }
  const ks = parseKeystore(bytes.toString("utf8"), file);
  if (ks.kind !== PEER_KEY_KIND)
    throw new KeysError(
      "KEYS_BAD_FILE",
      `${file} is a keystore without kind "${PEER_KEY_KIND}" (an Ethereum keystore?), not a peer key`,
      { file },
    );
  const key = peerFromProtobuf(await open(ks, file, password), file);
  const peerId = peerIdFromPrivateKey(key).toString();
  if (ks.peerId && ks.peerId !== peerId)
    throw new KeysError("KEYS_BAD_FILE", `${file} says peer id ${ks.peerId} but holds the key of ${peerId}`, {
      file,
    });
  return { key, peerId, format: "keystore" };
}

/** What a key file is, without its password: format and the address or peer id it names. */
export function describeKeyFile(file: string): { format: KeyFormat; address?: string; peerId?: string } {
  const bytes = readBytes(file, "key file");
  if (!isKeystore(bytes)) {
    if (bytes.toString("utf8", 0, 2) === "0x")
      return { format: "plaintext", address: signerFromHex(bytes.toString("utf8").trim(), file).address };
    return { format: "plaintext", peerId: peerIdFromPrivateKey(peerFromProtobuf(bytes, file)).toString() };
  }
  const ks = parseKeystore(bytes.toString("utf8"), file);
  return {
    format: "keystore",
    ...(ks.address && { address: `0x${ks.address.replace(/^0x/, "")}` }),
    ...(ks.peerId && { peerId: ks.peerId }),
  };
}

/** Writes `content` to `file` (mode 0600, its directory 0700) through a temporary file and a rename. */
export function writePrivateFile(file: string, content: string | Uint8Array, overwrite = false): void {
  if (!overwrite && existsSync(file))
    throw new KeysError("KEYS_EXISTS", `${file} exists; pass --force to replace it (back it up first)`, {
      file,
    });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  writeFileSync(tmp, content, { mode: 0o600, flag: "wx" });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Writes the Ethereum signer key as a standard v3 keystore (or plaintext hex when asked). */
export async function writeSignerKey(file: string, privateKey: Hex, o: KeyWriteOptions): Promise<void> {
  const account = privateKeyToAccount(privateKey);
  if (!o.overwrite && existsSync(file))
    throw new KeysError("KEYS_EXISTS", `${file} exists; pass --force to replace it (back it up first)`, {
      file,
    });
  const content =
    "plaintext" in o
      ? `${privateKey}\n`
      : `${JSON.stringify(
          await encryptKeystore(Buffer.from(privateKey.slice(2), "hex"), o.password, {
            address: account.address,
            scryptN: o.scryptN,
          }),
        )}\n`;
  writePrivateFile(file, content, o.overwrite);
}

/** Writes the libp2p peer key as a typed v3 keystore over its protobuf bytes (or raw protobuf when asked). */
export async function writePeerKey(file: string, key: PrivateKey, o: KeyWriteOptions): Promise<void> {
  if (!o.overwrite && existsSync(file))
    throw new KeysError("KEYS_EXISTS", `${file} exists; pass --force to replace it (back it up first)`, {
      file,
    });
  const protobuf = privateKeyToProtobuf(key);
  const content =
    "plaintext" in o
      ? protobuf
      : `${JSON.stringify(
          await encryptKeystore(protobuf, o.password, {
            peerId: peerIdFromPrivateKey(key).toString(),
            scryptN: o.scryptN,
          }),
        )}\n`;
  writePrivateFile(file, content, o.overwrite);
}
