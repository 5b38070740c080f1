// `vigil node keys ...`: the operator's view of the node's key files (docs/operator.md, "Keys").
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { Command, InvalidArgumentError, Option } from "commander";
import { parse } from "smol-toml";
import { getAddress, isAddress } from "viem";
import { ConfigError, loadConfig } from "../config/index";
import {
  createPendingPeerKey,
  describeKeyFile,
  fixedPassword,
  KeysError,
  type KeyWriteOptions,
  PASSWORD_HINT,
  type PasswordSource,
  passwordSource,
  pendingPeerKeyFile,
  readPasswordFile,
  readPeerKey,
  readSignerKey,
  resolvePassword,
  writePeerKey,
  writePrivateFile,
  writeSignerKey,
} from "../keys/index";

/** The key files and password file a command works on: from `--dir <data dir>` or the config file. */
interface KeyPaths {
  peerKeyFile: string;
  signerKeyFile: string;
  configPasswordFile?: string;
}

interface CommonFlags {
  config: string;
  dir?: string;
  passwordFile?: string;
  scryptN?: number;
}

/**
 * Only the keys' part of the config: key commands must work before the contracts are deployed (when
 * the full config does not validate yet). Same resolution as `loadConfig`: data_dir against the
 * config file, key files against data_dir, VIGIL_DATA_DIR over the file.
 */
function keyPaths(o: CommonFlags, env = process.env): KeyPaths {
  if (o.dir) {
    const dir = resolve(o.dir);
    return { peerKeyFile: join(dir, "peer.key"), signerKeyFile: join(dir, "eth.key") };
  }
  let file: {
    data_dir?: unknown;
    p2p?: { peer_key_file?: unknown };
    chain?: { signer_key_file?: unknown };
    keys?: { password_file?: unknown };
  };
  try {
    file = parse(readFileSync(o.config, "utf8")) as typeof file;
  } catch (cause) {
    throw new ConfigError(
      "CONFIG_NOT_FOUND",
      `cannot read config file ${o.config} (pass --config <node.toml> or --dir <data dir>)`,
      [],
      { cause },
    );
  }
  const base = dirname(resolve(o.config));
  const str = (v: unknown, fallback: string) => (typeof v === "string" && v !== "" ? v : fallback);
  const dataDir = resolve(base, env.VIGIL_DATA_DIR || str(file.data_dir, "data"));
  const inData = (p: string) => (isAbsolute(p) ? p : resolve(dataDir, p));
  const passwordFile = file.keys?.password_file;
  return {
    peerKeyFile: inData(str(file.p2p?.peer_key_file, "peer.key")),
    signerKeyFile: inData(str(file.chain?.signer_key_file, "eth.key")),
    ...(typeof passwordFile === "string" && { configPasswordFile: resolve(base, passwordFile) }),
  };
}

function scryptN(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0)
    throw new InvalidArgumentError("expected a power of two");
  return n;
}

/** The options every key command shares. `--scrypt-n` is hidden: tests only (the default is the standard 2^18). */
function withCommon(cmd: Command): Command {
  return cmd
    .option(
      "-c, --config <path>",
      "config file (for data_dir, key file names, keys.password_file)",
      "node.toml",
    )
    .option("--dir <path>", "the data dir holding peer.key and eth.key (instead of --config)")
    .option(
      "--password-file <file>",
      "file whose first line is the keystore password (else VIGIL_KEYSTORE_PASSWORD, ...)",
    )
    .addOption(
      new Option("--scrypt-n <n>", "scrypt cost of keystores written (tests)").argParser(scryptN).hideHelp(),
    );
}

function source(o: CommonFlags, paths: KeyPaths): PasswordSource {
  return passwordSource({ passwordFile: o.passwordFile, configPasswordFile: paths.configPasswordFile });
}

/** The write options for a node key: encrypted with the node's password, which must be set. */
function encrypted(o: CommonFlags, paths: KeyPaths, what: string): { password: string; scryptN?: number } {
  const p = resolvePassword({ passwordFile: o.passwordFile, configPasswordFile: paths.configPasswordFile });
  if (!p) throw new KeysError("KEYS_NO_PASSWORD", `${what} needs the keystore password: ${PASSWORD_HINT}`);
  return { password: p.value, scryptN: o.scryptN };
}

/** Runs an action; a failure prints one `error: ...` line (no stack trace) and exits non-zero. */
function handled<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  };
}

export function keysCommand(): Command {
  const keys = new Command("keys").description(
    'the node\'s keys: show, import, export, change-password, rotate-peer (docs/operator.md, "Keys")',
  );

  withCommon(keys.command("show"))
    .description("peer id, signer address and format of each key file (no password needed)")
    .option("--check", "also decrypt both keys with the password, to test it before a restart", false)
    .addOption(
      new Option("--get <field>", "print only this value (for scripts)").choices(["peer-id", "signer"]),
    )
    .action(
      handled(async (o: CommonFlags & { check: boolean; get?: "peer-id" | "signer" }) => {
        const paths = keyPaths(o);
        const peer = describeKeyFile(paths.peerKeyFile);
        const described = describeKeyFile(paths.signerKeyFile);
        const signer = {
          ...described,
          address:
            described.address && isAddress(described.address, { strict: false })
              ? getAddress(described.address)
              : undefined,
        };
        if (o.get) {
          const value = o.get === "peer-id" ? peer.peerId : signer.address;
          if (!value)
            throw new Error(
              `${o.get === "peer-id" ? paths.peerKeyFile : paths.signerKeyFile} records no ${o.get}`,
            );
          console.log(value);
          return;
        }
        console.log(`peer key:   ${paths.peerKeyFile} (${peer.format})`);
        console.log(`peer id:    ${peer.peerId ?? "(not recorded in the file; run with --check)"}`);
        console.log(`signer key: ${paths.signerKeyFile} (${signer.format})`);
        console.log(`signer:     ${signer.address ?? "(not recorded in the file; run with --check)"}`);
        const pendingFile = pendingPeerKeyFile(paths.peerKeyFile);
        if (existsSync(pendingFile))
          console.log(
            `pending:    ${describeKeyFile(pendingFile).peerId} (${pendingFile}; used once the registry holds it)`,
          );
        if (o.check) {
          const password = source(o, paths);
          const p = await readPeerKey(paths.peerKeyFile, password);
          const s = await readSignerKey(paths.signerKeyFile, password);
          console.log(`check:      ok (peer id ${p.peerId}, signer ${s.account.address})`);
        }
      }),
    );

  withCommon(keys.command("import"))
    .description("copy keys into the data dir, encrypted with the node's password (plain or v3 JSON input)")
    .option("--eth-key-file <file>", "Ethereum key: 0x hex or a v3 keystore (geth, cast, ethers)")
    .option("--peer-key-file <file>", "libp2p key: protobuf bytes or a Vigil peer keystore")
    .option("--source-password-file <file>", "password of the input keystores (default: the node's password)")
    .option("--insecure-plaintext-keys", "write plaintext key files (devnets and tests only)", false)
    .option("--force", "replace existing key files (back them up first)", false)
    .action(
      handled(
        async (
          o: CommonFlags & {
            ethKeyFile?: string;
            peerKeyFile?: string;
            sourcePasswordFile?: string;
            insecurePlaintextKeys: boolean;
            force: boolean;
          },
        ) => {
          if (!o.ethKeyFile && !o.peerKeyFile)
            throw new InvalidArgumentError("name --eth-key-file, --peer-key-file or both");
          const paths = keyPaths(o);
          const write: KeyWriteOptions = {
            ...(o.insecurePlaintextKeys ? { plaintext: true as const } : encrypted(o, paths, "import")),
            overwrite: o.force,
          };
          const from = o.sourcePasswordFile
            ? fixedPassword(
                readPasswordFile(o.sourcePasswordFile),
                `--source-password-file ${o.sourcePasswordFile}`,
              )
            : source(o, paths);
          // Check both targets before writing either, so a refused import changes nothing.
          for (const [input, target] of [
            [o.ethKeyFile, paths.signerKeyFile],
            [o.peerKeyFile, paths.peerKeyFile],
          ] as const)
            if (input && existsSync(target) && !o.force)
              throw new KeysError(
                "KEYS_EXISTS",
                `${target} exists; pass --force to replace it (back it up first)`,
                {
                  file: target,
                },
              );
          if (o.ethKeyFile) {
            const { privateKey, account } = await readSignerKey(o.ethKeyFile, from);
            await writeSignerKey(paths.signerKeyFile, privateKey, write);
            console.log(`signer:  ${account.address} -> ${paths.signerKeyFile}`);
          }
          if (o.peerKeyFile) {
            const { key, peerId } = await readPeerKey(o.peerKeyFile, from);
            await writePeerKey(paths.peerKeyFile, key, write);
            console.log(`peer id: ${peerId} -> ${paths.peerKeyFile}`);
          }
        },
      ),
    );

  withCommon(keys.command("export"))
    .description("write one key to a file: a v3 keystore (default) or, with --decrypted, the plain key")
    .requiredOption("--key <which>", "eth or peer", (v) => {
      if (v !== "eth" && v !== "peer") throw new InvalidArgumentError("expected eth or peer");
      return v;
    })
    .requiredOption("--out <file>", "file to write (mode 0600)")
    .option(
      "--decrypted",
      "write the key unencrypted (0x hex / libp2p protobuf): anyone who reads it owns the key",
      false,
    )
    .option("--force", "replace an existing output file", false)
    .action(
      handled(
        async (o: CommonFlags & { key: "eth" | "peer"; out: string; decrypted: boolean; force: boolean }) => {
          const paths = keyPaths(o);
          const file = o.key === "eth" ? paths.signerKeyFile : paths.peerKeyFile;
          if (existsSync(o.out) && !o.force)
            throw new KeysError("KEYS_EXISTS", `${o.out} exists; pass --force to replace it`, {
              file: o.out,
            });
          if (!o.decrypted && describeKeyFile(file).format === "keystore") {
            // The keystore as it is: no password needed, and `cast wallet import`/geth read the eth one.
            writePrivateFile(o.out, readFileSync(file), o.force);
          } else if (o.decrypted) {
            console.error(
              `warning: ${o.out} holds the ${o.key} key unencrypted; anyone who reads it can ` +
                (o.key === "eth"
                  ? "sign as this operator and get its stake slashed"
                  : "impersonate this node") +
                ". Keep it offline and delete it when done.",
            );
            const password = source(o, paths);
            if (o.key === "eth")
              writePrivateFile(o.out, `${(await readSignerKey(file, password)).privateKey}\n`, o.force);
            else
              writePrivateFile(o.out, privateKeyToProtobuf((await readPeerKey(file, password)).key), o.force);
          } else {
            // A plaintext key file exported without --decrypted is encrypted on the way out.
            const write = { ...encrypted(o, paths, "export of a plaintext key"), overwrite: o.force };
            const none = passwordSource({ env: {} });
            if (o.key === "eth")
              await writeSignerKey(o.out, (await readSignerKey(file, none)).privateKey, write);
            else await writePeerKey(o.out, (await readPeerKey(file, none)).key, write);
          }
          console.log(`${o.key} key -> ${o.out}`);
        },
      ),
    );

  withCommon(keys.command("change-password"))
    .description(
      "re-encrypt the key files (and a pending peer key) with a new password; encrypts plaintext ones",
    )
    .option("--new-password-file <file>", "file holding the new password (else VIGIL_KEYSTORE_NEW_PASSWORD)")
    .action(
      handled(async (o: CommonFlags & { newPasswordFile?: string }) => {
        const paths = keyPaths(o);
        const next = o.newPasswordFile
          ? readPasswordFile(o.newPasswordFile)
          : process.env.VIGIL_KEYSTORE_NEW_PASSWORD;
        if (!next)
          throw new KeysError(
            "KEYS_NO_PASSWORD",
            "change-password needs the new password: --new-password-file <file> or VIGIL_KEYSTORE_NEW_PASSWORD",
          );
        const password = source(o, paths);
        // Decrypt everything first: a wrong current password changes nothing.
        const signer = await readSignerKey(paths.signerKeyFile, password);
        const peer = await readPeerKey(paths.peerKeyFile, password);
        const pendingFile = pendingPeerKeyFile(paths.peerKeyFile);
        const pending = existsSync(pendingFile) ? await readPeerKey(pendingFile, password) : undefined;
        const write = { password: next, scryptN: o.scryptN, overwrite: true };
        await writeSignerKey(paths.signerKeyFile, signer.privateKey, write);
        await writePeerKey(paths.peerKeyFile, peer.key, write);
        if (pending) await writePeerKey(pendingFile, pending.key, write);
        console.log(
          `re-encrypted ${[paths.signerKeyFile, paths.peerKeyFile, ...(pending ? [pendingFile] : [])].join(", ")}`,
        );
        console.log(
          "Set the new password where the node reads it (VIGIL_KEYSTORE_PASSWORD or the password file) before the next start.",
        );
      }),
    );

  withCommon(keys.command("rotate-peer"))
    .description("create a new libp2p peer key, pending until the registry holds its peer id")
    .option("--force", "replace a pending key (only if its peer id was never sent on chain)", false)
    .action(
      handled(async (o: CommonFlags & { force: boolean }) => {
        const paths = keyPaths(o);
        const current = describeKeyFile(paths.peerKeyFile);
        const signer = describeKeyFile(paths.signerKeyFile).address ?? "<signer>";
        const write: KeyWriteOptions = {
          ...(current.format === "plaintext"
            ? { plaintext: true as const }
            : encrypted(o, paths, "rotate-peer")),
          overwrite: o.force,
        };
        const { pendingFile, peerId, peerIdBytes } = await createPendingPeerKey(paths.peerKeyFile, write);
        let registry = "<registry>";
        let rpc = "<rpc-url>";
        if (!o.dir && existsSync(o.config))
          try {
            const config = loadConfig({ path: o.config });
            registry = config.chain.addresses.registry;
            rpc = config.chain.rpcUrls[0]!;
          } catch (error) {
            // The rotation itself does not need the chain: print the call with placeholders, and why.
            if (!(error instanceof ConfigError)) throw error;
            console.error(
              `note: ${o.config} does not resolve yet (${error.message.split("\n")[0]}); fill in the placeholders`,
            );
          }
        console.log(`pending peer key: ${pendingFile}`);
        console.log(`new peer id:      ${peerId}`);
        console.log(`current peer id:  ${current.peerId}`);
        console.log("");
        console.log("Send, from the operator's owner account (the one that registered it):");
        console.log(
          `  cast send ${registry} "updateOperatorPeerId(address,bytes)" ${signer} ${peerIdBytes} --rpc-url ${rpc} --private-key <owner key>`,
        );
        console.log("then restart the node: at start it uses whichever key the registry holds, so it can");
        console.log("be restarted before or after the transaction; peers drop the old id once it is mined.");
      }),
    );

  return keys;
}
