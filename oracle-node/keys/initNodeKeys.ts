import { existsSync } from "node:fs";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { type Address, getAddress } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { KeysError } from "./errors";
import { describeKeyFile, type KeyFormat, writePeerKey, writeSignerKey } from "./keyFiles";

/** How `vigil node init` writes new keys: encrypted (the default of the CLI) or, for devnets and tests, plaintext. */
export type NewKeysOptions = { password: string; scryptN?: number } | { plaintext: true };

export interface NodeKeysInfo {
  peerId: string;
  signer: Address;
  /** True when both keys already existed and were kept. */
  reused: boolean;
  /** Format of each key file as it is now. */
  formats: { peer: KeyFormat; signer: KeyFormat };
}

/**
 * Creates whichever of the two key files is missing (existing ones are never touched: re-running
 * init must not change a registered identity) and reports the identity they hold, without decrypting.
 */
export async function initNodeKeys(
  files: { peerKeyFile: string; signerKeyFile: string },
  o: NewKeysOptions,
): Promise<NodeKeysInfo> {
  const reused = existsSync(files.peerKeyFile) && existsSync(files.signerKeyFile);
  if (!existsSync(files.peerKeyFile))
    await writePeerKey(files.peerKeyFile, await generateKeyPair("Ed25519"), o);
  if (!existsSync(files.signerKeyFile)) await writeSignerKey(files.signerKeyFile, generatePrivateKey(), o);
  const peer = describeKeyFile(files.peerKeyFile);
  const signer = describeKeyFile(files.signerKeyFile);
  if (!peer.peerId || !signer.address)
    throw new KeysError(
      "KEYS_BAD_FILE",
      `${peer.peerId ? files.signerKeyFile : files.peerKeyFile} does not say whose key it holds; ` +
        "re-import it with `vigil node keys import`",
      { peer: files.peerKeyFile, signer: files.signerKeyFile },
    );
  return {
    peerId: peer.peerId,
    signer: getAddress(signer.address),
    reused,
    formats: { peer: peer.format, signer: signer.format },
  };
}
