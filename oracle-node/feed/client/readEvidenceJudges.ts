import { type Address, bytesToHex, type Hex, hexToBytes, type PublicClient } from "viem";
import { assignedOracles, challengerKeyOfPeerId } from "../../../attestation/portable";
import { genesisBeacon, vigilRegistryAbi, vigilSettlementAbi } from "../../../contracts/portable";
// The nodes' own search (viem only, no Node built-ins): the client pins the block they pin.
import { lastBlockBefore } from "../../chain/lastBlockBefore";

/**
 * Who could judge a device in an epoch, read from the chain alone: the settlement's `beacon`, the
 * registry's active operators and the network's `k`, all at the last block stamped before the epoch's
 * start; the judges are the Ed25519 keys in the peer ids of the `k` operators `assignedOracles` ranks
 * first. The same rule the fraud-slashing workflow's DON reads (workflows/fraud-slashing/readJudges.ts)
 * before it signs a kind-2 slash, so a bundle it accepted passes here and a bundle from anyone else
 * does not.
 */
export interface EvidenceJudgesOnChain {
  beacon: Hex;
  /** Challenger keys (32-byte Ed25519) of the assigned operators, in assignment order. */
  challengers: Hex[];
  /** The block the assignment was read at; null before any block was stamped (epoch 0 at genesis). */
  blockNumber: bigint | null;
}

/** `IVigilRegistry.Status.Active`: only active operators take part in the assignment. */
const STATUS_ACTIVE = 1;
/** `getOperators` page size: a few KB of return data per call. */
const OPERATOR_PAGE = 100n;

export interface ReadEvidenceJudgesParameters {
  settlement: Address;
  registry: Address;
  networkId: bigint;
  epoch: bigint;
  deviceId: Hex;
}

/**
 * Reads the judges of a device in an epoch (see `EvidenceJudgesOnChain`). Reads state at a past
 * block: the RPC must serve historical state back to the epoch's start (an archive node for old
 * epochs); its error is thrown as is.
 */
export async function readEvidenceJudges(
  client: PublicClient,
  params: ReadEvidenceJudgesParameters,
): Promise<EvidenceJudgesOnChain> {
  const { settlement, registry, networkId, epoch } = params;
  const network = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getNetwork",
    args: [networkId],
  });
  if (network.epochLength === 0) throw new TypeError(`registry ${registry} has no network ${networkId}`);
  const start = network.genesisTime + epoch * BigInt(network.epochLength);
  const pinned = await lastBlockBefore(client, start);
  if (pinned === null) {
    // Nothing was stamped before the start: nothing settled, nobody registered (the workflow's rule).
    return { beacon: genesisBeacon(networkId), challengers: [], blockNumber: null };
  }
  const at = { blockNumber: pinned };
  // No code at the pinned block (a contract deployed later): nothing settled, nobody registered.
  const settlementCode = await client.getCode({ address: settlement, ...at });
  const beacon =
    settlementCode === undefined || settlementCode === "0x"
      ? genesisBeacon(networkId)
      : await client.readContract({
          address: settlement,
          abi: vigilSettlementAbi,
          functionName: "beacon",
          args: [networkId],
          ...at,
        });
  const registryCode = await client.getCode({ address: registry, ...at });
  if (registryCode === undefined || registryCode === "0x")
    return { beacon, challengers: [], blockNumber: pinned };
  const pinnedNetwork = await client.readContract({
    address: registry,
    abi: vigilRegistryAbi,
    functionName: "getNetwork",
    args: [networkId],
    ...at,
  });
  // `k` as it stood at the start; a network registered after that block has its first `k`.
  const k = pinnedNetwork.epochLength === 0 ? network.k : pinnedNetwork.k;
  const operators: { signer: Uint8Array; challengerKey: Uint8Array | undefined }[] = [];
  for (let offset = 0n; ; offset += OPERATOR_PAGE) {
    const page = await client.readContract({
      address: registry,
      abi: vigilRegistryAbi,
      functionName: "getOperators",
      args: [offset, OPERATOR_PAGE],
      ...at,
    });
    for (const o of page)
      if (o.status === STATUS_ACTIVE)
        operators.push({
          signer: hexToBytes(o.signer),
          challengerKey: challengerKeyOfPeerId(hexToBytes(o.peerId)),
        });
    if (BigInt(page.length) < OPERATOR_PAGE) break;
  }
  const assigned = assignedOracles(hexToBytes(beacon), hexToBytes(params.deviceId), operators, k);
  return {
    beacon,
    // An assigned operator whose peer id holds no Ed25519 key takes its place but can sign nothing.
    challengers: assigned.flatMap((o) => (o.challengerKey ? [bytesToHex(o.challengerKey)] : [])),
    blockNumber: pinned,
  };
}
