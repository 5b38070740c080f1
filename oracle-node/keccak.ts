// Keccak-256 for the node's hot paths (the device-line Merkle tree, rendezvous assignment): the
// hash-wasm WebAssembly build, ~5x faster per hash than @noble/hashes' pure-JS keccak on this
// machine. One hasher per thread, instantiated once at module load (top-level await).
import { createKeccak } from "hash-wasm";

const hasher = await createKeccak(256);

/** The 32-byte keccak256 digest of `data`. */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}
