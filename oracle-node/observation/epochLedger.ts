import type { Address, Hex } from "viem";
import type { DeviceObservation, ObservationSet } from "../agreement/types";

/** What this node saw of one device in one epoch. */
interface DeviceRecord {
  /** Heartbeat slots (index of the heartbeat interval within the epoch) with a valid heartbeat. */
  slots: Set<number>;
  /** Slots in which the device failed to answer a challenge in time: never credited (bounded by the slot count). */
  down: Set<number>;
  /** Ids of heartbeats already credited, so a re-gossiped old heartbeat fills no new interval. */
  seen: Set<string>;
  /** Challenges this node issued to the device in the epoch, and their work units. */
  issued: number;
  issuedUnits: bigint;
  /** Of those, the ones judged `pass` (answered correctly before the deadline). */
  passed: number;
  passedUnits: bigint;
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
  /**
   * A device that failed more than this fraction of the challenges this node issued to it gets
   * work 0 (the network policy's `maxMissFraction`).
   */
  maxMissFraction: number;
}

/** One challenge this node issued in the epoch, until the epoch closes. */
interface IssuedChallenge {
  deviceId: Hex;
  units: bigint;
  passed: boolean;
}

/**
 * Per-device uptime, verified work and fraud of one network epoch, as this node saw it. Bounded by
 * the assignment: input about devices not assigned to this node is dropped, so hostile gossip
 * cannot grow it; challenges are only the ones this node issued itself.
 *
 * Work is a rate, not a sum: a device is credited for the share of the issued challenges it
 * passed, so how many challenges it happened to draw does not change its reward, and every
 * challenge it failed (late, missed, fraud, a commit never opened) counts against it. Issue and
 * verdict belong to the challenge's own epoch (`challenge.epoch`), never to the clock at verdict time.
 */
export class EpochLedger {
  private readonly devices = new Map<Hex, DeviceRecord>();
  private readonly challenges = new Map<Hex, IssuedChallenge>();
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
      r = {
        slots: new Set(),
        down: new Set(),
        seen: new Set(),
        issued: 0,
        issuedUnits: 0n,
        passed: 0,
        passedUnits: 0n,
      };
      this.devices.set(deviceId, r);
    }
    return r;
  }

  /**
   * A valid heartbeat seen at `atMs` (directly or via gossip); idempotent per interval. `id` (the
   * heartbeat's hash) credits each heartbeat once: replaying an old one later fills no new interval.
   * True only if it filled an interval that had no heartbeat yet (the one worth gossiping).
   */
  heartbeat(deviceId: Hex, atMs: number, id?: string): boolean {
    const r = this.record(deviceId);
    const slot = this.slotOf(atMs);
    if (!r || slot === undefined || r.down.has(slot)) return false;
    if (id !== undefined) {
      if (r.seen.has(id)) return false;
      // Bounded: a device heartbeating far faster than its policy stops being tracked by id.
      if (r.seen.size < 4 * this.slotCount) r.seen.add(id);
    }
    if (r.slots.has(slot)) return false;
    r.slots.add(slot);
    return true;
  }

  /**
   * The device was down at `atMs` (it missed, or answered late, a challenge due then): the uptime
   * slot containing it is removed and no later heartbeat credits it again. A heartbeat shows the
   * device reachable; a challenge it could not answer in time shows it was not serving, and the
   * challenge is the stronger word. True if the slot was not already down.
   */
  down(deviceId: Hex, atMs: number): boolean {
    const r = this.record(deviceId);
    const slot = this.slotOf(atMs);
    if (!r || slot === undefined || r.down.has(slot)) return false;
    r.slots.delete(slot);
    r.down.add(slot);
    return true;
  }

  /** Index of the heartbeat interval containing `atMs`, undefined outside the epoch. */
  private slotOf(atMs: number): number | undefined {
    const slot = Math.floor((atMs - this.options.startMs) / this.options.heartbeatIntervalMs);
    return slot < 0 || slot >= this.slotCount ? undefined : slot;
  }

  /**
   * A challenge this node issued to the device in this epoch, worth `units` (`workUnitsOf`). It
   * counts as failed until `passed` says otherwise.
   */
  issued(deviceId: Hex, challengeId: Hex, units: bigint): boolean {
    const r = this.record(deviceId);
    if (!r || this.challenges.has(challengeId)) return false;
    this.challenges.set(challengeId, { deviceId, units, passed: false });
    r.issued++;
    r.issuedUnits += units;
    return true;
  }

  /** Whether this node issued the challenge in this epoch. */
  hasIssued(challengeId: Hex): boolean {
    return this.challenges.has(challengeId);
  }

  /** A challenge issued here judged `pass`; false if unknown here or already credited. */
  passed(challengeId: Hex): boolean {
    const c = this.challenges.get(challengeId);
    const r = c && this.devices.get(c.deviceId);
    if (!c || !r || c.passed) return false;
    c.passed = true;
    r.passed++;
    r.passedUnits += c.units;
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
      const obs: DeviceObservation = { deviceId, uptimeBps, work: r ? this.creditedWork(r) : 0n };
      if (r?.fraud) obs.fraud = { reason: r.fraud.reason, evidence: r.fraud.evidence };
      return obs;
    });
    return { networkId: this.options.networkId, epoch: this.options.epoch, observer, devices };
  }

  /**
   * `⌊1000 × passedUnits / issued⌋`: the unit-weighted pass rate `passedUnits / issuedUnits` in
   * thousandths, times the mean units of an issued challenge `issuedUnits / issued`, so a larger
   * class still earns more per challenge. 0 if nothing was issued, and 0 if more than
   * `maxMissFraction` of the issued challenges failed.
   */
  private creditedWork(r: DeviceRecord): bigint {
    if (r.issued === 0) return 0n;
    if (r.issued - r.passed > this.options.maxMissFraction * r.issued) return 0n;
    return (1000n * r.passedUnits) / BigInt(r.issued);
  }
}
