import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { encryptKeystore, fixedPassword, readPeerKey, readSignerKey } from "../keys/index";
import { nodeCommand } from "./nodeCommand";

// Small scrypt cost: these tests decrypt dozens of times (the default is the standard 2^18).
const FAST = ["--scrypt-n", "1024"];
const root = mkdtempSync(join(tmpdir(), "vigil-keys-cli-"));
const pwFile = join(root, "pw");
writeFileSync(pwFile, "first password\n", { mode: 0o600 });
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = "";
  let err = "";
  process.exitCode = undefined;
  vi.spyOn(console, "log").mockImplementation((s: string) => {
    out += `${s}\n`;
  });
  vi.spyOn(console, "error").mockImplementation((s: string) => {
    err += `${s}\n`;
  });
  await nodeCommand().exitOverride().parseAsync(args, { from: "user" });
  const code = Number(process.exitCode ?? 0);
  vi.restoreAllMocks();
  return { out, err, code };
}

const init = (dir: string, extra: string[]) =>
  run(["init", "--dir", dir, "--networks", "1", "--api-port", "0", "--p2p-port", "0", ...FAST, ...extra]);

describe("vigil node init: keys", () => {
  it("refuses to write keys without a password, naming what to set; writes nothing", async () => {
    vi.stubEnv("VIGIL_KEYSTORE_PASSWORD", "");
    vi.stubEnv("VIGIL_KEYSTORE_PASSWORD_FILE", "");
    const dir = join(root, "nopw");
    const r = await init(dir, []);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^error: init encrypts the node's keys: set VIGIL_KEYSTORE_PASSWORD or pass --password-file/,
    );
    expect(r.err).toContain("--insecure-plaintext-keys");
    expect(existsSync(join(dir, "data", "eth.key"))).toBe(false);
  });

  it("writes encrypted keystores and keys.password_file; show, show --check and a wrong password", async () => {
    const dir = join(root, "enc");
    const r = await init(dir, ["--password-file", pwFile]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("keys:     encrypted keystores");
    const signer = /signer: {3}(0x[0-9a-fA-F]{40})/.exec(r.out)![1]!;
    const peerId = /peer id: {2}(\w+)/.exec(r.out)![1]!;
    expect(JSON.parse(readFileSync(join(dir, "data", "eth.key"), "utf8"))).toMatchObject({
      version: 3,
      address: signer.slice(2).toLowerCase(),
    });
    expect(readFileSync(join(dir, "node.toml"), "utf8")).toMatch(/^\[keys\]\npassword_file = "\.\.\/pw"$/m);

    const config = join(dir, "node.toml");
    const show = await run(["keys", "show", "-c", config]);
    expect(show.out).toContain(`peer id:    ${peerId}`);
    expect(show.out).toMatch(new RegExp(`signer: +${signer}`, "i"));
    expect(show.out).toMatch(/peer key: .*peer\.key \(keystore\)/);
    // --check decrypts with keys.password_file from the config.
    expect((await run(["keys", "show", "-c", config, "--check"])).out).toContain("check:      ok");

    vi.stubEnv("VIGIL_KEYSTORE_PASSWORD", "not the password");
    const wrong = await run(["keys", "show", "-c", config, "--check"]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(
      /^error: wrong password for .*data\/peer\.key \(password from VIGIL_KEYSTORE_PASSWORD\), or the file was altered/,
    );
    expect(wrong.err).not.toMatch(/\n\s+at /);
  });

  it("--insecure-plaintext-keys keeps today's format", async () => {
    const dir = join(root, "plain");
    expect((await init(dir, ["--insecure-plaintext-keys"])).out).toContain("keys:     PLAINTEXT");
    expect(readFileSync(join(dir, "data", "eth.key"), "utf8")).toMatch(/^0x[0-9a-f]{64}\n$/);
  });
});

describe("vigil node keys import / export / change-password", () => {
  it("imports a foreign v3 keystore and a protobuf peer key encrypted; refuses to overwrite", async () => {
    const data = join(root, "imported");
    const ethKey = generatePrivateKey();
    const peer = await generateKeyPair("Ed25519");
    const foreign = join(root, "foreign.json");
    writeFileSync(
      foreign,
      JSON.stringify(await encryptKeystore(Buffer.from(ethKey.slice(2), "hex"), "other", { scryptN: 1024 })),
    );
    const srcPw = join(root, "other-pw");
    writeFileSync(srcPw, "other");
    const peerFile = join(root, "peer.protobuf");
    writeFileSync(peerFile, privateKeyToProtobuf(peer));
    const args = ["keys", "import", "--dir", data, "--password-file", pwFile, ...FAST];
    const r = await run([
      ...args,
      "--eth-key-file",
      foreign,
      "--peer-key-file",
      peerFile,
      "--source-password-file",
      srcPw,
    ]);
    expect(r.code, r.err).toBe(0);
    const pw = fixedPassword("first password");
    expect((await readSignerKey(join(data, "eth.key"), pw)).privateKey).toBe(ethKey);
    expect(await readPeerKey(join(data, "peer.key"), pw)).toMatchObject({
      peerId: peerIdFromPrivateKey(peer).toString(),
      format: "keystore",
    });
    const again = await run([...args, "--peer-key-file", peerFile]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/peer\.key exists; pass --force/);
    expect((await run([...args, "--peer-key-file", peerFile, "--force"])).code).toBe(0);
  });

  it("exports the keystore as is (cast-compatible), or decrypted with a warning", async () => {
    const data = join(root, "enc", "data");
    const out = join(root, "export-eth.json");
    expect((await run(["keys", "export", "--dir", data, "--key", "eth", "--out", out])).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(data, "eth.key"), "utf8"));
    const plain = join(root, "export-eth.txt");
    const r = await run([
      "keys",
      "export",
      "--dir",
      data,
      "--key",
      "eth",
      "--out",
      plain,
      "--decrypted",
      "--password-file",
      pwFile,
    ]);
    expect(r.err).toMatch(/^warning: .* holds the eth key unencrypted/);
    const key = readFileSync(plain, "utf8").trim() as `0x${string}`;
    expect((await readSignerKey(out, fixedPassword("first password"))).account.address).toBe(
      privateKeyToAccount(key).address,
    );
    expect((await run(["keys", "export", "--dir", data, "--key", "eth", "--out", out])).err).toMatch(
      /exists; pass --force/,
    );
  });

  it("change-password re-encrypts (and encrypts plaintext keys); the old password stops working", async () => {
    const data = join(root, "plain", "data");
    const before = readFileSync(join(data, "eth.key"), "utf8").trim();
    const newPw = join(root, "new-pw");
    writeFileSync(newPw, "second password\n");
    const r = await run(["keys", "change-password", "--dir", data, "--new-password-file", newPw, ...FAST]);
    expect(r.code, r.err).toBe(0);
    const show = await run(["keys", "show", "--dir", data]);
    expect(show.out).toMatch(/eth\.key \(keystore\)/);
    expect(show.out).toMatch(/peer\.key \(keystore\)/);
    expect((await readSignerKey(join(data, "eth.key"), fixedPassword("second password"))).privateKey).toBe(
      before,
    );
    await expect(readSignerKey(join(data, "eth.key"), fixedPassword("first password"))).rejects.toMatchObject(
      {
        code: "KEYS_WRONG_PASSWORD",
      },
    );
  });

  it("rotate-peer writes a pending key and prints the updateOperatorPeerId call", async () => {
    const data = join(root, "enc", "data");
    const r = await run(["keys", "rotate-peer", "--dir", data, "--password-file", pwFile, ...FAST]);
    expect(r.code, r.err).toBe(0);
    const pending = /new peer id: +(\w+)/.exec(r.out)![1]!;
    expect((await readPeerKey(join(data, "peer.key.pending"), fixedPassword("first password"))).peerId).toBe(
      pending,
    );
    expect(r.out).toMatch(
      /cast send <registry> "updateOperatorPeerId\(address,bytes\)" 0x[0-9a-f]{40} 0x0024/,
    );
    expect((await run(["keys", "show", "--dir", data])).out).toContain(`pending:    ${pending}`);
    const again = await run(["keys", "rotate-peer", "--dir", data, "--password-file", pwFile, ...FAST]);
    expect(again.err).toMatch(/a rotation is already pending/);
  });
});
