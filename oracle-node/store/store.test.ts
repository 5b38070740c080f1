import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { buildLinesTree } from "../../contracts/lines";
import { buildLinesTreeNodes } from "../agreement/linesTree";
import type { DeviceLine, EpochResult } from "../agreement/types";
import { MIGRATIONS } from "./migrations";
import { Store } from "./store";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "vigil-store-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("Store", () => {
  it("opens in WAL mode, migrates once and reopens where it stopped", () => {
    const dataDir = tmp();
    const s = Store.open({ dataDir });
    expect((s.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    expect((s.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(
      MIGRATIONS.length,
    );
    s.saveConsensusState({
      networkId: 1n,
      epoch: 2n,
      view: 3,
      lockedValue: "0xab",
      lockedView: 2,
      validValue: "0xab",
      validView: 2,
    });
    s.close();
    const again = Store.open({ dataDir });
    expect(again.getConsensusState(1n, 2n)).toMatchObject({ view: 3, lockedValue: "0xab", lockedView: 2 });
    again.close();
  });

  it("keeps the first signing decision and returns it for a conflicting request", () => {
    const s = Store.open({ dataDir: tmp() });
    const d = { networkId: 1n, epoch: 5n, kind: "result-vote" as const, view: -1 };
    expect(s.recordSigningDecision({ ...d, value: "0x01" })).toBe("0x01");
    expect(s.recordSigningDecision({ ...d, value: "0x02" })).toBe("0x01");
    expect(s.getSigningDecision(1n, 5n, "result-vote", -1)).toBe("0x01");
    // Another view or kind is a separate decision.
    expect(s.recordSigningDecision({ ...d, kind: "prevote", view: 0, value: "nil" })).toBe("nil");
    s.close();
  });

  it("rejects out-of-range ids with a typed error and refuses a newer schema", () => {
    const dataDir = tmp();
    const s = Store.open({ dataDir });
    expect(() => s.getSigningDecision(1n << 63n, 0n, "prevote", 0)).toThrow(
      expect.objectContaining({ code: "STORE_OUT_OF_RANGE" }),
    );
    s.close();
    const raw = new DatabaseSync(join(dataDir, "vigil.sqlite"));
    raw.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => Store.open({ dataDir })).toThrow(expect.objectContaining({ code: "STORE_NEWER_SCHEMA" }));
  });

  it("stores equivocation evidence once per signer and kind", () => {
    const s = Store.open({ dataDir: tmp() });
    const e = {
      networkId: 1n,
      epoch: 1n,
      signer: "0x00000000000000000000000000000000000000aa" as const,
      kind: "result-vote" as const,
      first: new Uint8Array([1]),
      second: new Uint8Array([2]),
    };
    expect(s.saveEquivocation(e)).toBe(true);
    expect(s.saveEquivocation({ ...e, second: new Uint8Array([3]) })).toBe(false);
    expect(s.getEquivocations({ networkId: 1n })).toHaveLength(1);
    expect(s.getEquivocations({ networkId: 2n })).toHaveLength(0);
    s.close();
  });

  it("saves an epoch's lines in multi-row batches and serves each with a proof the library verifies", () => {
    const s = Store.open({ dataDir: tmp() });
    // 250 lines: two full batches of 100 and a remainder.
    const lines: DeviceLine[] = Array.from({ length: 250 }, (_, i) => ({
      networkId: 3n,
      epoch: 9n,
      deviceId: `0x${(i * 7919 + 1).toString(16).padStart(64, "0")}`,
      owner: `0x${(0xa000 + (i % 7)).toString(16).padStart(40, "0")}`,
      uptimeBps: i % 10_001,
      work: BigInt(i),
      reward: 10n ** 20n + BigInt(i),
      slash: i % 50 === 0 ? 5n : 0n,
    }));
    const tree = buildLinesTreeNodes(lines);
    const result: EpochResult = {
      networkId: 3n,
      epoch: 9n,
      resultRoot: tree.root,
      observationsCommitment: `0x${"11".repeat(32)}`,
      deviceCount: lines.length,
      qualifiedCount: lines.length,
      totalReward: lines.reduce((a, l) => a + l.reward, 0n),
      totalSlash: 0n,
      slashes: [],
      lines,
      observations: [],
    };
    s.saveResult(result, tree);
    s.saveResult(result, tree); // idempotent
    const sorted = [...lines].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
    expect(s.getLines(3n, 9n)).toEqual(sorted);
    const library = buildLinesTree(lines);
    for (const i of [0, 99, 100, 199, 200, 249]) {
      const served = s.getDeviceLine(3n, 9n, lines[i]!.deviceId)!;
      expect(served.line).toEqual(lines[i]);
      expect(served.resultRoot).toBe(library.root);
      expect(served.proof).toEqual(library.getProof(i));
    }
    s.close();
  });
});
