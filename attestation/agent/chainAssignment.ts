// The device's own view of who may challenge it, read from the chain (docs/attestation.md,
// "Framing": "Also checked before answering"). It imports nothing from oracle-node/ or contracts/:
// the few ABI fragments it needs are inlined, and the rule is the nodes' (pinned beacon, active
// operators, rendezvous over their signers).
import type { Logger } from "pino";
import {
  type Address,
  createPublicClient,
  encodeAbiParameters,
  type Hex,
  hexToBytes,
  http,
  keccak256,
  type PublicClient,
} from "viem";
import { assignedOracles, challengerKeyOfPeerId } from "../assignment";
import { bytesToHex } from "../bytes";
import type { EvidenceJudges } from "../evidence";
import { challengePolicy, challengeRounds } from "../policy/index";
import type { AssignmentSource } from "./deviceAgent";

const registryAbi = [
  {
    type: "function",
    name: "getNetwork",
    stateMutability: "view",
    inputs: [{ name: "networkId", type: "uint64" }],
    outputs: [
      {
        name: "",
        type: "tuple",
        components: [
          { name: "owner", type: "address" },
          { name: "epochLength", type: "uint32" },
          { name: "genesisTime", type: "uint64" },
          { name: "rewardBudgetPerEpoch", type: "uint128" },
          { name: "stakePerDevice", type: "uint128" },
          { name: "challengePolicyId", type: "uint32" },
          { name: "k", type: "uint8" },
          { name: "deviceCount", type: "uint32" },
        ],
      },
    ],
  },
  {
    type: "function",
    name: "getOperators",
    stateMutability: "view",
    inputs: [
      { name: "offset", type: "uint256" },
      { name: "limit", type: "uint256" },
    ],
    outputs: [
      {
        name: "",
        type: "tuple[]",
        components: [
          { name: "signer", type: "address" },
          { name: "status", type: "uint8" },
          { name: "exitAvailableAt", type: "uint64" },
          { name: "owner", type: "address" },
          { name: "stake", type: "uint128" },
          { name: "slashed", type: "uint128" },
          { name: "peerId", type: "bytes" },
        ],
      },
    ],
  },
] as const;

const settlementAbi = [
  {
    type: "function",
    name: "beacon",
    stateMutability: "view",
    inputs: [{ name: "networkId", type: "uint64" }],
    outputs: [{ name: "", type: "bytes32" }],
  },
] as const;

/** `IVigilRegistry.Status.Active`: only active operators are assigned devices. */
const STATUS_ACTIVE = 1;

/** `beacon(0)` of a network: what the settlement holds before any settlement (docs/interfaces.md). */
const genesisBeacon = (networkId: bigint): Hex =>
  keccak256(encodeAbiParameters([{ type: "string" }, { type: "uint64" }], ["vigil.beacon", networkId]));

export interface ChainAssignmentOptions {
  /** A viem client of the chain the registry and settlement live on; or `rpcUrl`. */
  client?: PublicClient;
  rpcUrl?: string;
  registry: Address;
  settlement: Address;
  networkId: bigint;
  /** How long an assignment read before the epoch's start is settled on chain is reused, ms (default 5 s). */
  provisionalTtlMs?: number;
  /** After a failed read, how long the source answers "unknown" before it asks the chain again, ms (default 5 s). */
  retryAfterMs?: number;
  /** Epochs kept (default 8). */
  maxEpochs?: number;
  /** `getOperators` page size (default 200). */
  pageSize?: number;
  logger?: Logger;
}

/** The registry and settlement as one epoch's assignment sees them. */
export interface EpochAssignmentView {
  epoch: bigint;
  /** The last block stamped before the epoch's start, where everything is read (null: the chain has none). */
  blockNumber: bigint | null;
  /**
   * Whether that block is settled: the chain holds a block stamped at or after the start, so no
   * later block can be stamped before it. Until then the view is the chain's head, re-read after
   * `provisionalTtlMs`.
   */
  pinned: boolean;
  beacon: Uint8Array;
  k: number;
  /** Active operators: every one takes part in the rendezvous; only an Ed25519 peer id can challenge. */
  oracles: { signer: Uint8Array; challengerKey: Uint8Array | undefined }[];
}

export interface ChainAssignment extends AssignmentSource {
  /** The registry it reads (gateway records are bound to it). */
  readonly registry: Address;
  /** The epoch's view, or undefined when the chain cannot be read now (logged once per failed read). */
  epochView(epoch: bigint): Promise<EpochAssignmentView | undefined>;
  /** The epoch at unix time `nowMs` and when it started, ms, from the network's timing (read once); undefined when unreadable. */
  epochAt(nowMs: number): Promise<{ epoch: bigint; startMs: number } | undefined>;
  /** The chain's id (read once); undefined when unreadable. */
  chainId(): Promise<bigint | undefined>;
  roundsOf: NonNullable<AssignmentSource["roundsOf"]>;
}

interface Entry {
  view: Promise<EpochAssignmentView | undefined>;
  /** Reuse until then (ms); Infinity while in flight and once pinned. */
  expiresAt: number;
  /** Per device (hex): its judges under this view. */
  judges: Map<string, EvidenceJudges>;
}

/**
 * An `AssignmentSource` read from the chain, as the nodes derive the assignment: for epoch `e`,
 * starting at `genesisTime + e × epochLength`, the settlement's `beacon(networkId)`, the registry's
 * active operators and the network's `k`, all read at the last block stamped before the start; the
 * device's challengers are the Ed25519 keys in the peer ids of the `k` operators `assignedOracles`
 * picks. The reads are per epoch, shared by every device the source serves (a fleet runs many
 * agents on one source), and concurrent asks wait on one read. A failed read is logged and answers
 * undefined for `retryAfterMs`: the agent then answers unchecked (see `DeviceAgentOptions.assignment`).
 */
export function createChainAssignment(opts: ChainAssignmentOptions): ChainAssignment {
  if (!opts.client && !opts.rpcUrl) throw new TypeError("createChainAssignment: set client or rpcUrl");
  const client = opts.client ?? createPublicClient({ transport: http(opts.rpcUrl) });
  const { registry, settlement, networkId } = opts;
  const provisionalTtlMs = opts.provisionalTtlMs ?? 5_000;
  const retryAfterMs = opts.retryAfterMs ?? 5_000;
  const maxEpochs = opts.maxEpochs ?? 8;
  const pageSize = BigInt(opts.pageSize ?? 200);
  const log = opts.logger;
  const cache = new Map<bigint, Entry>();
  /** Epoch timing is fixed at registration: read once (with the policy id, read at the same time). */
  let timing: Promise<{ genesisTime: bigint; epochLength: bigint; policyId: number }> | undefined;

  const readNetwork = (blockNumber?: bigint) =>
    client.readContract({
      address: registry,
      abi: registryAbi,
      functionName: "getNetwork",
      args: [networkId],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    });

  function epochTiming() {
    timing ??= readNetwork().then((n) => {
      if (n.epochLength === 0) throw new Error(`network ${networkId} is not registered`);
      return {
        genesisTime: n.genesisTime,
        epochLength: BigInt(n.epochLength),
        policyId: n.challengePolicyId,
      };
    });
    timing.catch(() => {
      timing = undefined;
    });
    return timing;
  }

  /**
   * The last block stamped before `timestamp` (the block the nodes' `lastBlockBefore` finds), and
   * whether it is settled: the head is stamped at or after `timestamp`, so no later block can be
   * stamped before it; unsettled, it is the head. Searched back from the head in doubling steps,
   * then bisected: an epoch that began a few blocks ago costs a few header reads.
   */
  async function lastBlockBefore(
    timestamp: bigint,
  ): Promise<{ blockNumber: bigint | null; pinned: boolean }> {
    const timeOf = async (blockNumber: bigint) => (await client.getBlock({ blockNumber })).timestamp;
    // Not viem's cached head (up to a polling interval old): the search must see the newest block.
    const head = await client.getBlockNumber({ cacheTime: 0 });
    if ((await timeOf(head)) < timestamp) return { blockNumber: head, pinned: false };
    // Invariant: time(hi) >= timestamp.
    let hi = head;
    let lo: bigint;
    for (let step = 1n; ; step *= 2n) {
      lo = hi > step ? hi - step : 0n;
      if ((await timeOf(lo)) < timestamp) break;
      if (lo === 0n) return { blockNumber: null, pinned: true };
      hi = lo;
    }
    // Invariant: time(lo) < timestamp <= time(hi).
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if ((await timeOf(mid)) < timestamp) lo = mid;
      else hi = mid;
    }
    return { blockNumber: lo, pinned: true };
  }

  async function readOperators(blockNumber: bigint) {
    const out: EpochAssignmentView["oracles"] = [];
    for (let offset = 0n; ; offset += pageSize) {
      const page = await client.readContract({
        address: registry,
        abi: registryAbi,
        functionName: "getOperators",
        args: [offset, pageSize],
        blockNumber,
      });
      for (const o of page)
        if (o.status === STATUS_ACTIVE)
          out.push({
            signer: hexToBytes(o.signer),
            challengerKey: challengerKeyOfPeerId(hexToBytes(o.peerId)),
          });
      if (BigInt(page.length) < pageSize) return out;
    }
  }

  async function read(epoch: bigint): Promise<EpochAssignmentView> {
    const { genesisTime, epochLength } = await epochTiming();
    const start = genesisTime + epoch * epochLength;
    const { blockNumber, pinned } = await lastBlockBefore(start);
    // Before the contracts existed nothing was registered or settled.
    const [registryCode, settlementCode] =
      blockNumber === null
        ? [undefined, undefined]
        : await Promise.all([
            client.getCode({ address: registry, blockNumber }),
            client.getCode({ address: settlement, blockNumber }),
          ]);
    const [beacon, oracles, network] = await Promise.all([
      settlementCode && blockNumber !== null
        ? client.readContract({
            address: settlement,
            abi: settlementAbi,
            functionName: "beacon",
            args: [networkId],
            blockNumber,
          })
        : genesisBeacon(networkId),
      registryCode && blockNumber !== null ? readOperators(blockNumber) : [],
      registryCode && blockNumber !== null ? readNetwork(blockNumber) : undefined,
    ]);
    // `k` as it stood at the start; a network registered after that block (its epoch 0) has its first `k`.
    const k = network && network.epochLength !== 0 ? network.k : (await readNetwork()).k;
    return { epoch, blockNumber, pinned, beacon: hexToBytes(beacon), k, oracles };
  }

  function entryOf(epoch: bigint): Entry {
    const held = cache.get(epoch);
    if (held && Date.now() < held.expiresAt) return held;
    const entry: Entry = {
      view: Promise.resolve(undefined),
      expiresAt: Number.POSITIVE_INFINITY,
      judges: new Map(),
    };
    entry.view = read(epoch).then(
      (view) => {
        entry.expiresAt = view.pinned ? Number.POSITIVE_INFINITY : Date.now() + provisionalTtlMs;
        return view;
      },
      (err: unknown) => {
        entry.expiresAt = Date.now() + retryAfterMs;
        log?.warn(
          { networkId, epoch, err: err instanceof Error ? err.message : String(err) },
          "cannot read the epoch's assignment from the chain",
        );
        return undefined;
      },
    );
    cache.delete(epoch);
    cache.set(epoch, entry);
    // Keep the newest reads.
    while (cache.size > maxEpochs) cache.delete(cache.keys().next().value!);
    return entry;
  }

  /**
   * A chain read the agent can do without: on failure it is logged and the answer is "unknown"
   * (undefined), which the agent treats as during an outage (answer unchecked, keep the gateways it
   * runs; docs/attestation.md). Never a silent default: the warning says what could not be read.
   */
  const orUnknown = <T>(what: string, read: Promise<T>): Promise<T | undefined> =>
    read.catch((err: unknown) => {
      log?.warn(
        { networkId, err: err instanceof Error ? err.message : String(err) },
        `cannot read ${what} from the chain`,
      );
      return undefined;
    });

  let chainId: Promise<bigint> | undefined;
  return {
    networkId,
    registry,
    epochView: (epoch) => entryOf(epoch).view,
    async epochAt(nowMs) {
      const t = await orUnknown("the epoch timing", epochTiming());
      if (!t) return undefined;
      const now = BigInt(Math.floor(nowMs / 1000));
      const epoch = now < t.genesisTime ? 0n : (now - t.genesisTime) / t.epochLength;
      return { epoch, startMs: Number((t.genesisTime + epoch * t.epochLength) * 1000n) };
    },
    async chainId() {
      // Read once per process; a failed read is forgotten so the next call tries again.
      chainId ??= client.getChainId().then(BigInt);
      const read = chainId;
      read.catch(() => {
        if (chainId === read) chainId = undefined;
      });
      return orUnknown("the chain id", read);
    },
    async roundsOf(epoch) {
      const view = await entryOf(epoch).view;
      if (!view) return undefined;
      const t = await orUnknown("the epoch timing", epochTiming());
      if (!t) return undefined;
      const policy = challengePolicy(t.policyId, Number(t.epochLength));
      const startMs = Number((t.genesisTime + epoch * t.epochLength) * 1000n);
      return { policy, rounds: challengeRounds(policy, view.beacon, startMs, Number(t.epochLength) * 1000) };
    },
    async challengersOf(epoch, deviceId) {
      const entry = entryOf(epoch);
      const view = await entry.view;
      if (!view) return undefined;
      const key = bytesToHex(deviceId);
      let judges = entry.judges.get(key);
      if (!judges) {
        const assigned = assignedOracles(view.beacon, deviceId, view.oracles, view.k);
        judges = {
          beacon: view.beacon,
          challengers: assigned.flatMap((o) => (o.challengerKey ? [o.challengerKey] : [])),
        };
        if (entry.judges.size >= 4096) entry.judges.clear();
        entry.judges.set(key, judges);
      }
      return judges;
    },
  };
}
