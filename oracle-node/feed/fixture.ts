// Real epochs for tests and benchmarks: generated lines, the real OpenZeppelin tree, and
// `ResultVote`s signed by real secp256k1 keys (viem local accounts), never canned JSON.
import {
  type Address,
  bytesToHex,
  getAddress,
  type Hex,
  keccak256,
  type PrivateKeyAccount,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { resultVoteDomain, resultVoteTypes } from "../../contracts/votes";
import { createMemoryFeedSource, type MemoryFeedSource } from "./memorySource";
import type {
  DeviceHistoryPage,
  DeviceLine,
  DeviceLineProof,
  EpochPage,
  EpochResult,
  FeedSource,
  ResultVoteSignature,
} from "./source";

/** Deterministic keys so failures reproduce; the seed keeps fixtures of different tests apart. */
export function oracleKeys(count: number, seed = "vigil.feed.oracle"): Hex[] {
  return Array.from({ length: count }, (_, i) => keccak256(toHex(`${seed}.${i}`)));
}

export function oracleAccounts(count: number, seed = "vigil.feed.oracle"): PrivateKeyAccount[] {
  return oracleKeys(count, seed).map((key) => privateKeyToAccount(key));
}

export function deviceId(i: number, seed = "vigil.feed.device"): Hex {
  return keccak256(toHex(`${seed}.${i}`));
}

/** `count` device lines with varied uptime and work, rewards split from `budget` by the formula. */
export function generateLines(
  networkId: bigint,
  epoch: bigint,
  count: number,
  budget = 10n ** 24n,
): DeviceLine[] {
  const raw = Array.from({ length: count }, (_, i) => {
    const id = deviceId(i);
    const slashed = i % 50 === 7;
    return {
      networkId,
      epoch,
      deviceId: id,
      owner: getAddress(bytesToHex(new Uint8Array(20).map((_, b) => (i * 31 + b * 7 + 1) & 0xff))),
      uptimeBps: slashed ? 0 : 5000 + ((i * 37) % 5001),
      work: slashed ? 0n : BigInt(100 + ((i * 7919) % 10_000)),
      reward: 0n,
      slash: slashed ? 10n ** 18n : 0n,
    } satisfies DeviceLine;
  });
  const totalWeight = raw.reduce((s, l) => s + l.work * BigInt(l.uptimeBps), 0n);
  for (const line of raw)
    if (totalWeight > 0n) line.reward = (budget * line.work * BigInt(line.uptimeBps)) / totalWeight;
  return raw;
}

export interface VoteContext {
  chainId: number;
  settlement: Address;
}

export async function signResultVote(
  account: PrivateKeyAccount,
  ctx: VoteContext,
  result: Pick<EpochResult, "networkId" | "epoch" | "resultRoot" | "observationsCommitment">,
): Promise<ResultVoteSignature> {
  const signature = await account.signTypedData({
    domain: resultVoteDomain(ctx.chainId, ctx.settlement),
    types: resultVoteTypes,
    primaryType: "ResultVote",
    message: {
      networkId: result.networkId,
      epoch: result.epoch,
      resultRoot: result.resultRoot,
      observationsCommitment: result.observationsCommitment,
    },
  });
  return { signer: account.address, signature };
}

export interface FeedFixture {
  source: MemoryFeedSource;
  oracles: PrivateKeyAccount[];
  signers: Address[];
  ctx: VoteContext;
  networkId: bigint;
  lines: Map<bigint, DeviceLine[]>;
  results: Map<bigint, EpochResult>;
}

export interface FeedFixtureOptions {
  networkId?: bigint;
  epochs?: bigint[];
  devices?: number;
  /** Registered oracles (n = 3f + 1). */
  oracles?: number;
  /** How many of them vote on each result. */
  voters?: number;
  ctx?: VoteContext;
  settled?: boolean;
}

/** A memory source holding `epochs` of one network, each voted by `voters` oracles. */
export async function createFeedFixture(options: FeedFixtureOptions = {}): Promise<FeedFixture> {
  const networkId = options.networkId ?? 1n;
  const oracles = oracleAccounts(options.oracles ?? 4);
  const ctx = options.ctx ?? { chainId: 31337, settlement: "0x00000000000000000000000000000000000000aa" };
  const source = createMemoryFeedSource();
  const lines = new Map<bigint, DeviceLine[]>();
  const results = new Map<bigint, EpochResult>();
  for (const epoch of options.epochs ?? [1n, 2n, 3n]) {
    const epochLines = generateLines(networkId, epoch, options.devices ?? 16);
    const result = source.publishEpoch({
      networkId,
      epoch,
      observationsCommitment: keccak256(toHex(`observations.${networkId}.${epoch}`)),
      lines: epochLines,
      settled: options.settled ?? true,
    });
    const votes = await Promise.all(
      oracles.slice(0, options.voters ?? 3).map((o) => signResultVote(o, ctx, result)),
    );
    source.addVotes(networkId, epoch, votes);
    lines.set(epoch, epochLines);
    results.set(epoch, result);
  }
  return { source, oracles, signers: oracles.map((o) => o.address), ctx, networkId, lines, results };
}

/** How a hostile node alters what an honest source holds; each hook gets a copy it may edit. */
export interface Lie {
  line?: (p: DeviceLineProof) => DeviceLineProof | Promise<DeviceLineProof>;
  result?: (r: EpochResult) => EpochResult | Promise<EpochResult>;
  epochs?: (page: EpochPage) => EpochPage | Promise<EpochPage>;
  history?: (page: DeviceHistoryPage) => DeviceHistoryPage | Promise<DeviceHistoryPage>;
}

/** A source serving what `honest` holds, altered by `lie`: served by the real feed app, it is a lying node. */
export function lyingSource(honest: FeedSource, lie: Lie): FeedSource {
  return {
    ...honest,
    async getDeviceLine(n, e, d) {
      const p = await honest.getDeviceLine(n, e, d);
      return p && lie.line ? lie.line(structuredClone(p)) : p;
    },
    async getEpochResult(n, e) {
      const r = await honest.getEpochResult(n, e);
      return r && lie.result ? lie.result(structuredClone(r)) : r;
    },
    async listEpochs(n, q) {
      const page = await honest.listEpochs(n, q);
      return lie.epochs ? lie.epochs(structuredClone(page)) : page;
    },
    async getDeviceHistory(n, d, q) {
      const page = await honest.getDeviceHistory(n, d, q);
      return lie.history ? lie.history(structuredClone(page)) : page;
    },
  };
}
