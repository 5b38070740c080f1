// The store's files are the operator's alone: data dir 0700, database and its WAL/SHM 0600.
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { Store } from "./store";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "vigil-store-modes-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

const consensusState = {
  networkId: 1n,
  epoch: 2n,
  view: 3,
  lockedValue: "0xab",
  lockedView: 2,
  validValue: "0xab",
  validView: 2,
} as const;

describe("Store file modes", () => {
  it("creates the data dir 0700 and the database, its WAL and SHM 0600", () => {
    const dataDir = join(tmp(), "nested", "data");
    const store = Store.open({ dataDir });
    try {
      store.saveConsensusState(consensusState); // a write, so the WAL exists
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, "..")), "parents it creates too").toBe(0o700);
      for (const file of ["vigil.sqlite", "vigil.sqlite-wal", "vigil.sqlite-shm"])
        expect(mode(join(dataDir, file)), file).toBe(0o600);
    } finally {
      store.close();
    }
  });

  it("narrows a database (and WAL) made readable by an older version to 0600, keeping its data", () => {
    const dataDir = tmp();
    const path = join(dataDir, "vigil.sqlite");
    const store = Store.open({ dataDir });
    store.saveConsensusState(consensusState);
    // Hold the WAL open in a second connection, so it is still there when the store closes.
    const reader = new DatabaseSync(path);
    reader.prepare("SELECT count(*) FROM consensus_state").get();
    store.close();
    chmodSync(path, 0o644);
    chmodSync(`${path}-wal`, 0o644);
    chmodSync(dataDir, 0o755);

    const again = Store.open({ dataDir });
    try {
      expect(mode(path)).toBe(0o600);
      expect(mode(`${path}-wal`)).toBe(0o600);
      expect(again.getConsensusState(1n, 2n)).toMatchObject({ view: 3 });
      expect(mode(dataDir), "an existing data dir is the operator's choice").toBe(0o755);
    } finally {
      again.close();
      reader.close();
    }
  });
});
