import { readFileSync } from "node:fs";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { type Address, bytesToHex, type Hex } from "viem";
import { loadOrCreateSignerKey } from "../../oracle-node/chain/index";
import { loadOrCreatePeerKey } from "../../oracle-node/p2p/index";

export interface NodeKeys {
  index: number;
  dataDir: string;
  /** Ethereum signer: a registered operator and a forwarder signer. */
  signer: Address;
  signerKey: Hex;
  /** libp2p peer id (base58) and its multihash bytes as the registry stores them. */
  peerId: string;
  peerIdBytes: Hex;
}

/**
 * Creates (or, on resume, reads) a node's keys in its data dir with the node's own key loaders, so
 * the devnet can register the operator and configure the forwarder before the node process starts.
 */
export async function prepareNodeKeys(index: number, dataDir: string): Promise<NodeKeys> {
  const account = loadOrCreateSignerKey(join(dataDir, "eth.key"));
  const peerKey = await loadOrCreatePeerKey(join(dataDir, "peer.key"));
  const peerId = peerIdFromPrivateKey(peerKey);
  const signerKey = readFileSync(join(dataDir, "eth.key"), "utf8").trim() as Hex;
  return {
    index,
    dataDir,
    signer: account.address,
    signerKey,
    peerId: peerId.toString(),
    peerIdBytes: bytesToHex(peerId.toMultihash().bytes),
  };
}
