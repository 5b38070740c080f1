import type { Address, Hex } from "viem";
import type { DeviceObservation, ObservationSet } from "../agreement/types";

/** What this node saw of one device in one epoch. */
interface DeviceRecord {
  /** Heartbeat slots (index of the heartbeat interval within the epoch) with a valid heartbeat. */
  slots: Set<number>;
  /** Ids of heartbeats already credited, so a re-gossiped old heartbeat fills no new interval. */
  seen: Set<string>;
  work: bigint;
  /** First proven fraud (the evidence any node re-verifies); later ones add nothing to the slash. */
  fraud?: { reason: number; evidence: Uint8Array; evidenceHash: Hex };
}

export interface EpochLedgerOptions {
  networkId: bigint;
  epoch: bigint;
  /** Epoch start, unix ms. */
  startMs: number;
  lengthMs: number;
  /** Devices are expected to heartbeat once per interval; uptime is the share of intervals covered. */
  heartbeatIntervalMs: number;
  /** Devices this node observes in the epoch (its assignment); others are not recorded. */
  assigned: ReadonlySet<Hex>;
}

/**
 * Per-device uptime, verified work and fraud of one network epoch, as this node saw it. Bounded by
 * the assignment: input about devices not assigned to this node is dropped, so hostile gossip
 * cannot grow it.
 */
export class EpochLedger {
  private readonly devices = new Map<Hex, DeviceRecord>();
  private readonly slotCount: number;

  constructor(readonly options: EpochLedgerOptions) {
    this.slotCount = Math.max(1, Math.ceil(options.lengthMs / options.heartbeatIntervalMs));
  }

  get networkId(): bigint {
    return this.options.networkId;
  }
  get epoch(): bigint {
    return this.options.epoch;
  }

  isAssigned(deviceId: Hex): boolean {
    return this.options.assigned.has(deviceId);
  }

  private record(deviceId: Hex): DeviceRecord | undefined {
    if (!this.options.assigned.has(deviceId)) return undefined;
    let r = this.devices.get(deviceId);
    if (!r) {
      r = { slots: new Set(), seen: new Set(), work: 0n };
      this.devices.set(deviceId, r);
    }
    return r;
  }

  /**
   * A valid heartbeat seen at `atMs` (directly or via gossip); idempotent per interval. `id` (the
   * heartbeat's hash) credits each heartbeat once: replaying an old one later fills no new interval.
   */
  heartbeat(deviceId: Hex, atMs: number, id?: string): boolean {
    const r = this.record(deviceId);
    if (!r) return false;
    const slot = Math.floor((atMs - this.options.startMs) / this.options.heartbeatIntervalMs);
    if (slot < 0 || slot >= this.slotCount) return false;
    if (id !== undefined) {
      if (r.seen.has(id)) return false;
      // Bounded: a device heartbeating far faster than its policy stops being tracked by id.
      if (r.seen.size < 4 * this.slotCount) r.seen.add(id);
    }
    r.slots.add(slot);
    return true;
  }

  /** Work units from a challenge this node judged `pass`. */
  work(deviceId: Hex, units: bigint): boolean {
    const r = this.record(deviceId);
    if (!r) return false;
    r.work += units;
    return true;
  }

  /** Verified fraud evidence against the device (from this node's verdict or from gossip). */
  fraud(deviceId: Hex, proof: { reason: number; evidence: Uint8Array; evidenceHash: Hex }): boolean {
    const r = this.record(deviceId);
    if (!r || r.fraud) return false;
    r.fraud = proof;
    return true;
  }

  /** This node's observation set for the epoch: every assigned device, sorted by id. */
  observation(observer: Address): ObservationSet {
    const devices: DeviceObservation[] = [...this.options.assigned].sort().map((deviceId) => {
      const r = this.devices.get(deviceId);
      const uptimeBps = r ? Math.min(10_000, Math.floor((r.slots.size * 10_000) / this.slotCount)) : 0;
      const obs: DeviceObservation = { deviceId, uptimeBps, work: r?.work ?? 0n };
      if (r?.fraud) obs.fraud = { reason: r.fraud.reason, evidence: r.fraud.evidence };
      return obs;
    });
    return { networkId: this.options.networkId, epoch: this.options.epoch, observer, devices };
  }
}
