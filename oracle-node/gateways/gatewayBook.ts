import { bytesToHex, type GatewayRecord } from "../../attestation/index";

/**
 * The gateway records a node holds: at most one per operator signer, the newest (`issuedAtMs`) wins.
 * Only records that verified against the registry are offered (so at most one per registered
 * operator); `maxRecords` is a hard cap on top, for a registry that grows without bound.
 */
export class GatewayBook {
  private readonly records = new Map<string, GatewayRecord>();
  constructor(private readonly maxRecords = 4096) {}

  /** Keeps `record` unless a record of its signer as new or newer is held; says whether it was kept. */
  offer(record: GatewayRecord): boolean {
    const key = bytesToHex(record.signer);
    const held = this.records.get(key);
    if (held && held.issuedAtMs >= record.issuedAtMs) return false;
    if (!held && this.records.size >= this.maxRecords) return false;
    this.records.set(key, record);
    return true;
  }

  /** The held record of a signer (20 bytes, or its hex without 0x), if any. */
  get(signer: Uint8Array | string): GatewayRecord | undefined {
    return this.records.get(typeof signer === "string" ? signer.toLowerCase() : bytesToHex(signer));
  }

  /** Held records that `keep` still accepts (their signer still active, not stale); the rest are dropped. */
  list(keep: (record: GatewayRecord) => boolean): GatewayRecord[] {
    const out: GatewayRecord[] = [];
    for (const [key, r] of this.records)
      if (keep(r)) out.push(r);
      else this.records.delete(key);
    return out;
  }

  get size(): number {
    return this.records.size;
  }
}
