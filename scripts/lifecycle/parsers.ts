// Commander argument parsers: each turns a flag's text into a typed value or says what was wrong.
import { peerIdFromString } from "@libp2p/peer-id";
import { InvalidArgumentError } from "commander";
import { type Address, getAddress, type Hex, isAddress, parseUnits, toHex } from "viem";

/** The reward token's decimals (VigilToken is an 18-decimal ERC-20). */
export const TOKEN_DECIMALS = 18;

export function parseAddress(value: string): Address {
  if (!isAddress(value, { strict: false }))
    throw new InvalidArgumentError(`expected a 0x-prefixed 20-byte address, got "${value}"`);
  return getAddress(value);
}

/** A token amount in whole tokens, decimals allowed ("1000", "0.5"); `123wei` for base units. */
export function parseTokenAmount(value: string): bigint {
  const wei = /^(\d+)wei$/.exec(value);
  if (wei) return BigInt(wei[1]!);
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new InvalidArgumentError(`expected a token amount like 1000 or 0.5 (or 123wei), got "${value}"`);
  const [, fraction = ""] = value.split(".");
  if (fraction.length > TOKEN_DECIMALS)
    throw new InvalidArgumentError(`at most ${TOKEN_DECIMALS} decimals, got "${value}"`);
  return parseUnits(value, TOKEN_DECIMALS);
}

/** A non-negative integer no larger than `max`. */
export function uintParser(max: bigint): (value: string) => bigint {
  return (value) => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
    const n = BigInt(value);
    if (n > max) throw new InvalidArgumentError(`${value} exceeds the maximum ${max}`);
    return n;
  };
}

export const parseUint64 = uintParser(2n ** 64n - 1n);
export const parseUint32 = (value: string) => Number(uintParser(2n ** 32n - 1n)(value));
export const parseUint8 = (value: string) => Number(uintParser(255n)(value));
export const parsePositive = (value: string) => {
  const n = Number(uintParser(2n ** 32n - 1n)(value));
  if (n === 0) throw new InvalidArgumentError("must be at least 1");
  return n;
};

/** A network id: ids start at 1. */
export function parseNetworkId(value: string): bigint {
  const id = parseUint64(value);
  if (id === 0n) throw new InvalidArgumentError("network ids start at 1");
  return id;
}

/**
 * `--genesis-time`: 0 (the registration block's time), unix seconds, or `+N` seconds after the
 * chain's latest block (resolved when the command runs, against chain time, not this machine's clock).
 */
export type GenesisTime = { absolute: bigint } | { afterLatestBlock: bigint };

export function parseGenesisTime(value: string): GenesisTime {
  const relative = /^\+(\d+)$/.exec(value);
  if (relative) return { afterLatestBlock: BigInt(relative[1]!) };
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(`expected 0, unix seconds or +SECONDS (from now), got "${value}"`);
  return { absolute: BigInt(value) };
}

/**
 * A libp2p peer id string (`12D3KooW…`, what `vigil node init` prints) as the multihash bytes the
 * registry stores. Only Ed25519 ids: devices derive a challenger's key from it (attestation/assignment.ts).
 */
export function parsePeerId(value: string): Hex {
  let peerId: ReturnType<typeof peerIdFromString>;
  try {
    peerId = peerIdFromString(value);
  } catch {
    throw new InvalidArgumentError(`expected a libp2p peer id like 12D3KooW…, got "${value}"`);
  }
  if (peerId.type !== "Ed25519")
    throw new InvalidArgumentError(`expected an Ed25519 peer id (12D3KooW…), got a ${peerId.type} one`);
  return toHex(peerId.toMultihash().bytes);
}
