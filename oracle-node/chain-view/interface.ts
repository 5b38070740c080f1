import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Address, Hex, PublicClient } from "viem";
import type { StorageTarget } from "../../attestation/index";
import type { DeviceInfo, NetworkInfo, OperatorInfo } from "../chain/index";
import type { PeerAllowList } from "../p2p/index";

export interface ChainViewModules {
  client: PublicClient;
  logger: Logger;
  metrics?: Registry;
}

/** A network's settlement progress as last read: the next epoch to settle and its beacon. */
export interface SettlementState {
  nextEpoch: bigint;
  beacon: Hex;
  lastSettledEpoch: bigint | null;
}

/**
 * The node's view of the registry and the settlement contract: read in full once at `start()`, then
 * kept current by applying the contracts' logs block range by block range (each event re-reads only
 * the device, network or operator set it touched). Lookups are O(1) and never touch the chain; a
 * failing RPC leaves the last known state in place (`chainOk()` turns false) and the missed blocks
 * are applied once it answers again, none skipped.
 */
export interface ChainView {
  /** Peer ids of the active operators with a valid peer id: the p2p connection gater's list, kept current. */
  readonly allowList: PeerAllowList;
  /** A served network's parameters (devnet epoch overrides applied); undefined for any other. */
  network(networkId: bigint): NetworkInfo | undefined;
  networks(): NetworkInfo[];
  /** Every registered operator, any status, in registration order. */
  operators(): readonly OperatorInfo[];
  /** Signers of the active operators, in registration order. */
  activeSigners(): readonly Address[];
  /** The signer registered with a libp2p peer id (any status), undefined if none. */
  signerOf(peerId: string): Address | undefined;
  /** A network's active devices, in registration order. */
  devices(networkId: bigint): readonly DeviceInfo[];
  /** An active device of the network by its lowercase id. */
  device(networkId: bigint, deviceId: Hex): DeviceInfo | undefined;
  /** The storage a device of the network must hold (its storage client's target), by lowercase id. */
  storage(networkId: bigint, deviceId: Hex): StorageTarget | undefined;
  settlement(networkId: bigint): SettlementState | undefined;
  /** The head as last polled (null before `start()`). */
  head(): bigint | null;
  /** The last block whose logs are applied (null before `start()`). */
  processedBlock(): bigint | null;
  /** False from a failed chain read until the next one succeeds. */
  chainOk(): boolean;
  /** Called with a network's settlement state each time it is read (full read, settlement event, `refreshSettlement`). */
  onSettlement(listener: (networkId: bigint, state: SettlementState) => void): () => void;
  /** The first full read, then following on a timer. Rejects (and follows nothing) if the read fails. */
  start(): Promise<void>;
  /** Applies the logs up to the head now (normally on the timer). Rejects if the chain did not answer. */
  poll(): Promise<void>;
  /** A full re-read now (normally only at start and every `fullResyncMs`). */
  resync(): Promise<void>;
  /** Re-reads one network's settlement state now (after an `EpochSettled` seen elsewhere). */
  refreshSettlement(networkId: bigint): Promise<void>;
  stop(): void;
}
