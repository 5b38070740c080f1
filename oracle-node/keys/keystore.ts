// Web3 Secret Storage v3 (https://ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/):
// the format geth, cast and ethers read and write. scrypt and the keccak-256 MAC come from
// @noble/hashes (OpenSSL's scrypt in node:crypto refuses N >= 2^(16 r), which the standard's own r = 1
// vector has; at the standard parameters both took ~2 s here), AES-128-CTR and PBKDF2 from node:crypto.
import {
  createCipheriv,
  createDecipheriv,
  pbkdf2,
  randomBytes,
  randomUUID,
  timingSafeEqual,
} from "node:crypto";
import { promisify } from "node:util";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { z } from "zod";
import { KeysError } from "./errors";

/** scrypt N that geth, cast and ethers write by default (2^18: ~2 s per key on this machine's cores). */
export const STANDARD_SCRYPT_N = 262_144;
/** Largest scrypt N accepted when reading: with MAX_SCRYPT_BYTES, bounds what a hostile file makes the node compute. */
const MAX_SCRYPT_N = 1_048_576;
/** scrypt memory (128 * N * r bytes) allowed when reading: 1 GiB, so a hostile file cannot exhaust the host. */
const MAX_SCRYPT_BYTES = 2 ** 30;

/** What a keystore holds besides the standard fields: Vigil's peer key is typed so it is never taken for an Ethereum key. */
export const PEER_KEY_KIND = "libp2p-peer-key";

const hex = (bytes?: number) =>
  z
    .string()
    .regex(bytes === undefined ? /^(0x)?([0-9a-fA-F]{2})+$/ : new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`))
    .transform((v) => Buffer.from(v.replace(/^0x/, ""), "hex"));

const scryptParams = z
  .looseObject({
    dklen: z.literal(32),
    n: z
      .number()
      .int()
      .min(2)
      .max(MAX_SCRYPT_N)
      .refine((n) => (n & (n - 1)) === 0, "expected a power of two"),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: hex(),
  })
  .refine((k) => 128 * k.n * k.r <= MAX_SCRYPT_BYTES, "scrypt memory 128 * n * r above 1 GiB");
const pbkdf2Params = z.looseObject({
  dklen: z.literal(32),
  c: z.number().int().min(1).max(10_000_000),
  prf: z.literal("hmac-sha256"),
  salt: hex(),
});

/** A v3 keystore as read from a file (case-insensitive `crypto`/`Crypto`, as geth accepts). */
const keystoreSchema = z.looseObject({
  version: z.literal(3),
  id: z.string().optional(),
  address: z.string().optional(),
  kind: z.string().optional(),
  peerId: z.string().optional(),
  crypto: z.looseObject({
    cipher: z.literal("aes-128-ctr"),
    cipherparams: z.looseObject({ iv: hex(16) }),
    ciphertext: hex(),
    kdf: z.enum(["scrypt", "pbkdf2"]),
    kdfparams: z.unknown(),
    mac: hex(32),
  }),
});

export interface KeystoreJson {
  version: 3;
  id: string;
  /** Ethereum keystores: the address, lowercase hex without 0x (the standard's form). */
  address?: string;
  /** Vigil peer keystores: `libp2p-peer-key`, with the peer id for `keys show` without a password. */
  kind?: typeof PEER_KEY_KIND;
  peerId?: string;
  crypto: {
    cipher: "aes-128-ctr";
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: "scrypt";
    kdfparams: { dklen: 32; n: number; r: number; p: number; salt: string };
    mac: string;
  };
}

export interface EncryptOptions {
  /** scrypt cost (default: the standard 2^18). Tests that decrypt many times pass a small one. */
  scryptN?: number;
  /** Standard field for Ethereum keys. */
  address?: `0x${string}`;
  /** Marks a peer keystore. */
  peerId?: string;
}

const pbkdf2Async = promisify(pbkdf2);

// ethers normalizes passwords to NFKC; geth takes the bytes. Both agree on ASCII; NFKC lets a password
// typed on another keyboard layout open the file.
const passwordBytes = (password: string) => Buffer.from(password.normalize("NFKC"), "utf8");

const deriveScrypt = async (password: string, p: { n: number; r: number; p: number; salt: Buffer }) =>
  Buffer.from(
    await scryptAsync(passwordBytes(password), p.salt, {
      N: p.n,
      r: p.r,
      p: p.p,
      dkLen: 32,
      maxmem: MAX_SCRYPT_BYTES + (1 << 20),
    }),
  );

const mac = (derived: Buffer, ciphertext: Buffer) =>
  Buffer.from(keccak_256(Buffer.concat([derived.subarray(16, 32), ciphertext])));

/** Encrypts `secret` into a v3 keystore (scrypt, AES-128-CTR, keccak-256 MAC). */
export async function encryptKeystore(
  secret: Uint8Array,
  password: string,
  options: EncryptOptions = {},
): Promise<KeystoreJson> {
  const n = options.scryptN ?? STANDARD_SCRYPT_N;
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const derived = await deriveScrypt(password, { n, r: 8, p: 1, salt });
  const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    version: 3,
    id: randomUUID(),
    ...(options.address && { address: options.address.slice(2).toLowerCase() }),
    ...(options.peerId && { kind: PEER_KEY_KIND, peerId: options.peerId }),
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: iv.toString("hex") },
      ciphertext: ciphertext.toString("hex"),
      kdf: "scrypt",
      kdfparams: { dklen: 32, n, r: 8, p: 1, salt: salt.toString("hex") },
      mac: mac(derived, ciphertext).toString("hex"),
    },
  };
}

export type ParsedKeystore = z.output<typeof keystoreSchema>;

/** Parses keystore JSON text; `file` names it in errors. */
export function parseKeystore(text: string, file: string): ParsedKeystore {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new KeysError("KEYS_BAD_FILE", `${file} is not valid JSON`, { file }, { cause });
  }
  // geth writes `Crypto` in some versions.
  if (raw && typeof raw === "object" && "Crypto" in raw && !("crypto" in raw))
    raw = { ...raw, crypto: (raw as { Crypto: unknown }).Crypto };
  const parsed = keystoreSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KeysError(
      "KEYS_UNSUPPORTED",
      `${file} is not a v3 keystore this node reads (${issue.path.join(".") || "(root)"}: ${issue.message}); ` +
        "expected version 3, aes-128-ctr, scrypt or pbkdf2",
      { file },
    );
  }
  return parsed.data;
}

/** Decrypts a parsed keystore; a wrong password (or a tampered file) fails the MAC check. */
export async function decryptKeystore(ks: ParsedKeystore, password: string, file: string): Promise<Buffer> {
  const { crypto } = ks;
  let derived: Buffer;
  if (crypto.kdf === "scrypt") {
    const p = scryptParams.safeParse(crypto.kdfparams);
    if (!p.success)
      throw new KeysError(
        "KEYS_UNSUPPORTED",
        `${file}: unsupported scrypt parameters (${p.error.issues[0]!.message})`,
        {
          file,
        },
      );
    derived = await deriveScrypt(password, p.data);
  } else {
    const p = pbkdf2Params.safeParse(crypto.kdfparams);
    if (!p.success)
      throw new KeysError(
        "KEYS_UNSUPPORTED",
        `${file}: unsupported pbkdf2 parameters (${p.error.issues[0]!.message})`,
        {
          file,
        },
      );
    derived = await pbkdf2Async(passwordBytes(password), p.data.salt, p.data.c, 32, "sha256");
  }
  if (!timingSafeEqual(mac(derived, crypto.ciphertext), crypto.mac))
    throw new KeysError(
      "KEYS_WRONG_PASSWORD",
      `wrong password for ${file} (or the file was altered: its MAC does not match)`,
      { file },
    );
  const decipher = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), crypto.cipherparams.iv);
  return Buffer.concat([decipher.update(crypto.ciphertext), decipher.final()]);
}
