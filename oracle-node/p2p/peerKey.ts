import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { P2PError } from "./errors";

/** Loads the node's Ed25519 peer key from `file` (libp2p protobuf), creating it (mode 0600) if absent. */
export async function loadOrCreatePeerKey(file: string): Promise<PrivateKey> {
  if (existsSync(file)) {
    let key: PrivateKey;
    try {
      key = privateKeyFromProtobuf(readFileSync(file));
    } catch (cause) {
      throw new P2PError("P2P_BAD_KEY_FILE", `cannot read peer key ${file}`, { file }, { cause });
    }
    if (key.type !== "Ed25519")
      throw new P2PError("P2P_BAD_KEY_FILE", `peer key ${file} is ${key.type}, expected Ed25519`, { file });
    return key;
  }
  const key = await generateKeyPair("Ed25519");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, privateKeyToProtobuf(key), { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return key;
}
