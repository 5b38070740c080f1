import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { describeKeyFile, readPeerKey, readSignerKey, writePeerKey, writeSignerKey } from "./keyFiles";
import { decryptKeystore, encryptKeystore, parseKeystore, STANDARD_SCRYPT_N } from "./keystore";
import { fixedPassword, passwordSource } from "./password";

// Small scrypt cost where a test decrypts many times; the default stays the standard 2^18.
const N = 1024;
const dir = mkdtempSync(join(tmpdir(), "vigil-keystore-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pw = fixedPassword("correct horse");

// The Web3 Secret Storage definition's test vectors (password "testpassword").
const VECTOR_KEY = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const SCRYPT_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt",
    kdfparams: {
      dklen: 32,
      n: 262144,
      r: 1,
      p: 8,
      salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19",
    },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};
const PBKDF2_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};

describe("v3 keystore", () => {
  it("decrypts the Web3 Secret Storage test vectors (scrypt and pbkdf2)", async () => {
    for (const vector of [SCRYPT_VECTOR, PBKDF2_VECTOR]) {
      const ks = parseKeystore(JSON.stringify(vector), "vector.json");
      expect((await decryptKeystore(ks, "testpassword", "vector.json")).toString("hex")).toBe(VECTOR_KEY);
    }
  });

  it("round-trips a secret; writes the standard strength by default", async () => {
    const secret = Buffer.from("vigil keystore secret");
    const ks = await encryptKeystore(secret, "pw", { scryptN: N });
    expect(ks.crypto.kdfparams).toMatchObject({ n: N, r: 8, p: 1, dklen: 32 });
    const parsed = parseKeystore(JSON.stringify(ks), "x.json");
    expect(await decryptKeystore(parsed, "pw", "x.json")).toEqual(secret);
    const standard = await encryptKeystore(secret, "pw");
    expect(standard.crypto.kdfparams.n).toBe(STANDARD_SCRYPT_N);
  });

  it("a wrong password and a corrupted MAC or ciphertext fail the MAC check", async () => {
    const ks = await encryptKeystore(Buffer.alloc(32, 7), "right", { scryptN: N });
    const text = JSON.stringify(ks);
    await expect(decryptKeystore(parseKeystore(text, "k.json"), "wrong", "k.json")).rejects.toMatchObject({
      code: "KEYS_WRONG_PASSWORD",
      message: expect.stringContaining("k.json"),
    });
    const flip = (h: string) => (h[0] === "0" ? "1" : "0") + h.slice(1);
    for (const tampered of [
      { ...ks, crypto: { ...ks.crypto, mac: flip(ks.crypto.mac) } },
      { ...ks, crypto: { ...ks.crypto, ciphertext: flip(ks.crypto.ciphertext) } },
    ])
      await expect(
        decryptKeystore(parseKeystore(JSON.stringify(tampered), "k.json"), "right", "k.json"),
      ).rejects.toMatchObject({ code: "KEYS_WRONG_PASSWORD" });
  });

  it("refuses unsupported or hostile parameters before deriving", async () => {
    const ks = await encryptKeystore(Buffer.alloc(32, 7), "pw", { scryptN: N });
    const cipher = JSON.stringify({ ...ks, crypto: { ...ks.crypto, cipher: "aes-128-cbc" } });
    expect(() => parseKeystore(cipher, "k.json")).toThrow(/k\.json is not a v3 keystore/);
    const huge = { ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, n: 2 ** 24 } } };
    await expect(
      decryptKeystore(parseKeystore(JSON.stringify(huge), "k.json"), "pw", "k.json"),
    ).rejects.toMatchObject({
      code: "KEYS_UNSUPPORTED",
    });
    expect(() => parseKeystore("not json", "k.json")).toThrow(/k\.json is not valid JSON/);
  });
});

describe("node key files", () => {
  it("signer key: keystore and plaintext both load; the keystore is private and standard", async () => {
    const key = generatePrivateKey();
    const address = privateKeyToAccount(key).address;
    const enc = join(dir, "eth.key");
    await writeSignerKey(enc, key, { password: "correct horse", scryptN: N });
    expect(statSync(enc).mode & 0o777).toBe(0o600);
    const json = JSON.parse(readFileSync(enc, "utf8")) as { address: string; version: number };
    expect(json).toMatchObject({ version: 3, address: address.slice(2).toLowerCase() });
    expect(await readSignerKey(enc, pw)).toMatchObject({ privateKey: key, format: "keystore" });
    expect(describeKeyFile(enc)).toEqual({
      format: "keystore",
      address: `0x${address.slice(2).toLowerCase()}`,
    });

    const plain = join(dir, "eth-plain.key");
    await writeSignerKey(plain, key, { plaintext: true });
    expect(readFileSync(plain, "utf8")).toBe(`${key}\n`);
    // No password is asked for a plaintext file.
    const none = passwordSource({ env: {} });
    expect((await readSignerKey(plain, none)).account.address).toBe(address);
    await expect(readSignerKey(enc, none)).rejects.toMatchObject({
      code: "KEYS_NO_PASSWORD",
      message: expect.stringMatching(/eth\.key is an encrypted keystore .* VIGIL_KEYSTORE_PASSWORD/),
    });
    await expect(writeSignerKey(enc, key, { plaintext: true })).rejects.toMatchObject({
      code: "KEYS_EXISTS",
    });
  });

  it("peer key: a typed keystore over the protobuf bytes, and raw protobuf, both load", async () => {
    const key = await generateKeyPair("Ed25519");
    const peerId = peerIdFromPrivateKey(key).toString();
    const enc = join(dir, "peer.key");
    await writePeerKey(enc, key, { password: "correct horse", scryptN: N });
    expect(JSON.parse(readFileSync(enc, "utf8"))).toMatchObject({
      version: 3,
      kind: "libp2p-peer-key",
      peerId,
    });
    expect(await readPeerKey(enc, pw)).toMatchObject({ peerId, format: "keystore" });
    const plain = join(dir, "peer-plain.key");
    writeFileSync(plain, privateKeyToProtobuf(key));
    expect(await readPeerKey(plain, pw)).toMatchObject({ peerId, format: "plaintext" });
    // Keys of one kind are not taken for the other.
    await expect(readSignerKey(enc, pw)).rejects.toThrow(/holds a libp2p peer key/);
    await expect(readPeerKey(join(dir, "eth.key"), pw)).rejects.toThrow(/not a peer key/);
  });

  it("the password comes from the flag, then the env, then the env's file, then the config's file", () => {
    const file = join(dir, "pw.txt");
    writeFileSync(file, "from file\n");
    const flagFile = join(dir, "flag.txt");
    writeFileSync(flagFile, "from flag\r\nsecond line ignored");
    const env = { VIGIL_KEYSTORE_PASSWORD: "from env", VIGIL_KEYSTORE_PASSWORD_FILE: file };
    expect(passwordSource({ passwordFile: flagFile, env })("k").value).toBe("from flag");
    expect(passwordSource({ env })("k").value).toBe("from env");
    expect(passwordSource({ env: { VIGIL_KEYSTORE_PASSWORD_FILE: file } })("k").value).toBe("from file");
    expect(passwordSource({ env: {}, configPasswordFile: file })("k")).toEqual({
      value: "from file",
      from: `keys.password_file (${file})`,
    });
    expect(() => passwordSource({ env: {}, configPasswordFile: join(dir, "missing") })("k")).toThrow(
      /cannot read password file .*missing \(ENOENT\)/,
    );
    writeFileSync(join(dir, "empty"), "\n");
    expect(() => passwordSource({ passwordFile: join(dir, "empty"), env })("k")).toThrow(/is empty/);
  });

  it("interoperates with cast: cast decrypts what we write, and we read what cast writes", async () => {
    const key = generatePrivateKey();
    const ksDir = mkdtempSync(join(dir, "cast-"));
    await writeSignerKey(join(ksDir, "ours"), key, { password: "pw", scryptN: N });
    const cast = (args: string[]) =>
      execFileSync("npx", ["--no-install", "cast", "wallet", ...args], { encoding: "utf8" });
    expect(cast(["decrypt-keystore", "ours", "-k", ksDir, "--unsafe-password", "pw"])).toContain(key);
    const other = generatePrivateKey();
    cast(["import", "theirs", "--private-key", other, "-k", ksDir, "--unsafe-password", "pw"]);
    expect((await readSignerKey(join(ksDir, "theirs"), fixedPassword("pw"))).privateKey).toBe(other);
  });
});
