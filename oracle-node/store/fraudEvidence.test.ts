import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Hex, keccak256, toHex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { FRAUD_EVIDENCE_PER_DEVICE, Store } from "./store";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "vigil-evidence-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const DEVICE = `0x${"Ab".repeat(32)}` as Hex;
const bundle = (epoch: bigint, i: number) => {
  const bytes = new TextEncoder().encode(`bundle ${epoch} ${i}`);
  return { networkId: 1n, epoch, deviceId: DEVICE, evidenceHash: keccak256(bytes), bytes };
};

describe("Store fraud evidence", () => {
  it("keeps a bundle by its hash, once, and survives a reopen", () => {
    const dir = tmp();
    const s = Store.open({ dataDir: dir });
    const b = bundle(3n, 0);
    expect(s.saveFraudEvidence(b)).toBe(true);
    expect(s.saveFraudEvidence(b)).toBe(false);
    s.close();
    const reopened = Store.open({ dataDir: dir });
    expect(
      reopened.getFraudEvidence(1n, 3n, b.evidenceHash.toUpperCase().replace("0X", "0x") as Hex),
    ).toEqual({ ...b, deviceId: DEVICE.toLowerCase() });
    // Another epoch or network does not serve it.
    expect(reopened.getFraudEvidence(1n, 4n, b.evidenceHash)).toBeUndefined();
    expect(reopened.getFraudEvidence(2n, 3n, b.evidenceHash)).toBeUndefined();
    reopened.close();
  });

  it("keeps at most FRAUD_EVIDENCE_PER_DEVICE bundles per device and epoch, the first ones", () => {
    const s = Store.open({ dataDir: tmp() });
    const saved = Array.from({ length: FRAUD_EVIDENCE_PER_DEVICE + 4 }, (_, i) =>
      s.saveFraudEvidence(bundle(3n, i)),
    );
    expect(saved.filter(Boolean)).toHaveLength(FRAUD_EVIDENCE_PER_DEVICE);
    expect(saved.slice(FRAUD_EVIDENCE_PER_DEVICE)).toEqual([false, false, false, false]);
    expect(s.getFraudEvidence(1n, 3n, bundle(3n, 0).evidenceHash)).toBeDefined();
    expect(s.getFraudEvidence(1n, 3n, bundle(3n, FRAUD_EVIDENCE_PER_DEVICE).evidenceHash)).toBeUndefined();
    // The bound is per epoch: the next epoch starts empty.
    expect(s.saveFraudEvidence(bundle(4n, 0))).toBe(true);
    s.close();
  });

  it("is pruned with its epoch by retention, and refused below the horizon", () => {
    const s = Store.open({ dataDir: tmp() });
    for (const epoch of [1n, 2n, 5n]) s.saveFraudEvidence(bundle(epoch, 0));
    const pruned = s.prune(1n, 3n);
    expect(pruned.rows.fraud_evidence).toBe(2);
    expect(s.getFraudEvidence(1n, 2n, bundle(2n, 0).evidenceHash)).toBeUndefined();
    expect(s.getFraudEvidence(1n, 5n, bundle(5n, 0).evidenceHash)).toBeDefined();
    expect(s.saveFraudEvidence(bundle(2n, 1))).toBe(false);
    s.close();
  });

  it("does not collide with another hash spelled differently", () => {
    const s = Store.open({ dataDir: tmp() });
    expect(s.saveFraudEvidence(bundle(1n, 0))).toBe(true);
    expect(s.getFraudEvidence(1n, 1n, keccak256(toHex("other")))).toBeUndefined();
    s.close();
  });
});
