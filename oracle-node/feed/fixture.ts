// Real epochs for tests and benchmarks: generated lines, the real OpenZeppelin tree, and
// `ResultVote`s signed by real secp256k1 keys (viem local accounts), never canned JSON.
import {
  type Address,
  bytesToHex,
  getAddress,
  type Hex,
  keccak256,
  type PrivateKeyAccount,
  type PublicClient,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { resultVoteDomain, resultVoteTypes } from "../../contracts/votes";
import { observationsCommitment } from "../agreement/computeResult";
import { createMemoryFeedSource, type MemoryFeedSource } from "./memorySource";
import type {
  DeviceHistoryPage,
  DeviceLine,
  DeviceLineProof,
  EpochPage,
  EpochResult,
  FeedSource,
  FraudEvidence,
  ResultVoteSignature,
} from "./source";

/**
 * Observations of an epoch by `observers` (made-up hashes) with their commitment, as a result carries them:
 * what the settlement contract checks before it accepts a result and pays the observers.
 */
export function observationsFor(
  observers: readonly Address[],
  networkId: bigint,
  epoch: bigint,
): { observations: { observer: Address; hash: Hex }[]; observationsCommitment: Hex } {
  const observations = [...observers]
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))
    .map((observer) => ({
      observer,
      hash: keccak256(toHex(`observation.${networkId}.${epoch}.${observer}`)),
    }));
  return { observations, observationsCommitment: observationsCommitment(observations) };
}

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
  /** Replaces a served evidence bundle (called only for a bundle the honest node holds). */
  evidence?: (e: FraudEvidence) => FraudEvidence | Promise<FraudEvidence>;
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
    async getEvidence(n, e, h) {
      const held = await honest.getEvidence?.(n, e, h);
      return held && lie.evidence ? lie.evidence(structuredClone(held)) : held;
    },
  };
}

/**
 * A network whose device histories exercise the reliability score (issue 19): epochs 0..5, where
 * epoch 2 timed out (no result), epoch 5 is agreed but not settled, `steady` has a line in every
 * epoch but 3, `slashed` was slashed in epoch 1. `chain` answers the settlement contract's reads
 * (`nextEpoch` 5, each epoch's root, the zero root for the timeout) as a viem client would.
 */
export async function createReliabilityFixture() {
  const networkId = 1n;
  const ctx: VoteContext = { chainId: 31337, settlement: "0x00000000000000000000000000000000000000aa" };
  const oracles = oracleAccounts(4);
  const source = createMemoryFeedSource();
  const steady = deviceId(0, "vigil.reliability");
  const slashed = deviceId(1, "vigil.reliability");
  const filler = deviceId(2, "vigil.reliability");
  const owner = getAddress(`0x${"11".repeat(20)}`);
  const line = (epoch: bigint, id: Hex, uptimeBps: number, slash = 0n): DeviceLine => ({
    networkId,
    epoch,
    deviceId: id,
    owner,
    uptimeBps,
    work: 100n,
    reward: slash > 0n ? 0n : 10n,
    slash,
  });
  const epochs: [bigint, DeviceLine[]][] = [
    [0n, [line(0n, steady, 10_000), line(0n, slashed, 9000), line(0n, filler, 8000)]],
    [1n, [line(1n, steady, 9990), line(1n, slashed, 0, 10n ** 18n), line(1n, filler, 8000)]],
    [3n, [line(3n, slashed, 9000), line(3n, filler, 8000)]],
    [4n, [line(4n, steady, 5000), line(4n, slashed, 9000), line(4n, filler, 8000)]],
    [5n, [line(5n, steady, 10_000), line(5n, slashed, 10_000), line(5n, filler, 8000)]],
  ];
  const results = new Map<bigint, EpochResult>();
  for (const [epoch, lines] of epochs) {
    const result = source.publishEpoch({
      networkId,
      epoch,
      observationsCommitment: keccak256(toHex(`reliability.${epoch}`)),
      lines,
      settled: epoch < 5n,
    });
    const votes = await Promise.all(oracles.slice(0, 3).map((o) => signResultVote(o, ctx, result)));
    source.addVotes(networkId, epoch, votes);
    results.set(epoch, result);
  }
  const nextEpoch = 5n;
  const chain = {
    async readContract({ functionName, args }: { functionName: string; args: readonly unknown[] }) {
      if (functionName === "nextEpoch") return nextEpoch;
      if (functionName === "epochResult") {
        const epoch = args[1] as bigint;
        if (epoch >= nextEpoch) throw new Error(`EpochNotSettled(${epoch})`);
        return { resultRoot: results.get(epoch)?.resultRoot ?? `0x${"00".repeat(32)}` };
      }
      throw new Error(`unexpected read ${functionName}`);
    },
  };
  return {
    networkId,
    ctx,
    source,
    signers: oracles.map((o) => o.address),
    steady,
    slashed,
    filler,
    results,
    lines: new Map(epochs),
    chain: chain as unknown as PublicClient,
  };
}
