import { toString as bytesToString } from "uint8arrays/to-string";
import { type Address, type Hex, hexToBytes, type PublicClient } from "viem";
import { vigilRegistryAbi, vigilSettlementAbi } from "../../contracts/index";
import { ChainError } from "./errors";

/** Registry status enum (IVigilRegistry.Status). */
export const STATUS = ["None", "Active", "Exiting", "Exited"] as const;

export interface NetworkInfo {
  networkId: bigint;
  owner: Address;
  epochLength: number;
  genesisTime: bigint;
  rewardBudgetPerEpoch: bigint;
  stakePerDevice: bigint;
  challengePolicyId: number;
  k: number;
  deviceCount: number;
}

export interface DeviceInfo {
  deviceId: Hex;
  networkId: bigint;
  status: (typeof STATUS)[number];
  owner: Address;
  stake: bigint;
  slashed: bigint;
  registeredAt: bigint;
}

export interface OperatorInfo {
  signer: Address;
  status: (typeof STATUS)[number];
  owner: Address;
  stake: bigint;
  /** libp2p peer id string (base58btc of the registered multihash), or null if the bytes are not one. */
  peerId: string | null;
}

/** A libp2p peer id string from the multihash bytes the registry stores. */
export function peerIdFromRegistryBytes(bytes: Hex): string | null {
  const raw = hexToBytes(bytes);
  // Identity multihash of a protobuf Ed25519 key (0x00 0x24 ...), or a sha256 one (0x12 0x20 ...).
  if (raw.length < 2 || (raw[0] !== 0x00 && raw[0] !== 0x12) || raw[1] !== raw.length - 2) return null;
  return bytesToString(raw, "base58btc");
}

/** Where to read: a past block (pinned reads every node can repeat), or the latest one. */
export interface ReadAt {
  blockNumber?: bigint;
}

export async function getNetwork(
  client: PublicClient,
  registry: Address,
  networkId: bigint,
  at: ReadAt = {},
): Promise<NetworkInfo> {
  const n = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getNetwork",
    args: [networkId],
    ...at,
  });
  if (n.epochLength === 0)
    throw new ChainError("CHAIN_UNKNOWN_NETWORK", `network ${networkId} is not registered`, { networkId });
  return { networkId, ...n };
}

/** All devices of a network in registration order, read in pages of `pageSize`. */
export async function getNetworkDevices(
  client: PublicClient,
  registry: Address,
  networkId: bigint,
  { pageSize = 500, ...at }: ReadAt & { pageSize?: number } = {},
): Promise<DeviceInfo[]> {
  const out: DeviceInfo[] = [];
  for (let offset = 0n; ; offset += BigInt(pageSize)) {
    const page = await client.readContract({
      address: registry,
      abi: vigilRegistryAbi,
      functionName: "getNetworkDevices",
      args: [networkId, offset, BigInt(pageSize)],
      ...at,
    });
    for (const d of page) out.push(deviceInfo(d));
    if (page.length < pageSize) return out;
  }
}

/** One device as the registry holds it now; status "None" (all zero) if it was never registered. */
export async function getDevice(
  client: PublicClient,
  registry: Address,
  deviceId: Hex,
  at: ReadAt = {},
): Promise<DeviceInfo> {
  const d = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getDevice",
    args: [deviceId],
    ...at,
  });
  // An unregistered id reads as all zero: keep the id asked for, not the zero one.
  return { ...deviceInfo(d), deviceId };
}

function deviceInfo(d: {
  deviceId: Hex;
  networkId: bigint;
  status: number;
  owner: Address;
  stake: bigint;
  slashed: bigint;
  registeredAt: bigint;
}): DeviceInfo {
  return {
    deviceId: d.deviceId,
    networkId: d.networkId,
    status: STATUS[d.status] ?? "None",
    owner: d.owner,
    stake: d.stake,
    slashed: d.slashed,
    registeredAt: d.registeredAt,
  };
}

/** The storage a device must hold, as its network's storage client set it on chain. */
export interface DeviceStorageInfo {
  deviceId: Hex;
  /** Merkle root of the device's replica. */
  root: Hex;
  chunks: number;
  chunkBytes: number;
}

/**
 * The storage targets of a network's devices, those that have one, in registration order, read in
 * pages of `pageSize` (the registry's `getNetworkDeviceStorage`, paged like the device list).
 */
export async function getNetworkDeviceStorage(
  client: PublicClient,
  registry: Address,
  networkId: bigint,
  { pageSize = 500, ...at }: ReadAt & { pageSize?: number } = {},
): Promise<DeviceStorageInfo[]> {
  const out: DeviceStorageInfo[] = [];
  for (let offset = 0n; ; offset += BigInt(pageSize)) {
    const [ids, targets] = await client.readContract({
      address: registry,
      abi: vigilRegistryAbi,
      functionName: "getNetworkDeviceStorage",
      args: [networkId, offset, BigInt(pageSize)],
      ...at,
    });
    ids.forEach((deviceId, i) => {
      const t = targets[i]!;
      if (t.chunks > 0) out.push({ deviceId, root: t.root, chunks: t.chunks, chunkBytes: t.chunkBytes });
    });
    if (ids.length < pageSize) return out;
  }
}

/** A device's storage target, or null if it has none (cleared, or never set). */
export async function getDeviceStorage(
  client: PublicClient,
  registry: Address,
  deviceId: Hex,
  at: ReadAt = {},
): Promise<DeviceStorageInfo | null> {
  const t = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getDeviceStorage",
    args: [deviceId],
    ...at,
  });
  return t.chunks > 0 ? { deviceId, root: t.root, chunks: t.chunks, chunkBytes: t.chunkBytes } : null;
}

/** Every operator ever registered (any status), read in pages. */
export async function getOperators(
  client: PublicClient,
  registry: Address,
  { pageSize = 200, ...at }: ReadAt & { pageSize?: number } = {},
): Promise<OperatorInfo[]> {
  const out: OperatorInfo[] = [];
  for (let offset = 0n; ; offset += BigInt(pageSize)) {
    const page = await client.readContract({
      address: registry,
      abi: vigilRegistryAbi,
      functionName: "getOperators",
      args: [offset, BigInt(pageSize)],
      ...at,
    });
    for (const o of page)
      out.push({
        signer: o.signer,
        status: STATUS[o.status] ?? "None",
        owner: o.owner,
        stake: o.stake,
        peerId: peerIdFromRegistryBytes(o.peerId),
      });
    if (page.length < pageSize) return out;
  }
}

/** Settlement progress of a network: the next epoch to settle and its beacon. */
export async function getSettlementState(
  client: PublicClient,
  settlement: Address,
  networkId: bigint,
): Promise<{ nextEpoch: bigint; beacon: Hex; lastSettledEpoch: bigint | null }> {
  const [nextEpoch, beacon] = await Promise.all([
    client.readContract({
      address: settlement,
      abi: vigilSettlementAbi,
      functionName: "nextEpoch",
      args: [networkId],
    }),
    client.readContract({
      address: settlement,
      abi: vigilSettlementAbi,
      functionName: "beacon",
      args: [networkId],
    }),
  ]);
  return { nextEpoch, beacon, lastSettledEpoch: nextEpoch === 0n ? null : nextEpoch - 1n };
}
