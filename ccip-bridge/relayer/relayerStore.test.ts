import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { type LaneMessage, RelayerStore, type StoredMessage } from "./relayerStore.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-relayer-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stored(seq: bigint): StoredMessage {
  const message: LaneMessage = {
    sourceChainSelector: 1n,
    destChainSelector: 2n,
    sequenceNumber: seq,
    sender: "0x0000000000000000000000000000000000000001",
    receiver: "0x0000000000000000000000000000000000000002",
    sourceToken: "0x0000000000000000000000000000000000000003",
    sourcePool: "0x0000000000000000000000000000000000000004",
    destToken: "0x0000000000000000000000000000000000000005",
    amount: 10n ** 30n + seq,
    sourcePoolData: "0x0000000000000000000000000000000000000000000000000000000000000012",
  };
  return { messageId: `0x${seq.toString(16).padStart(64, "0")}` as Hex, message, seenAt: 1 };
}

describe("RelayerStore", () => {
  it("keeps messages in numeric order, ignores repeats and survives a reopen", () => {
    const path = join(dir, "a.db");
    const store = new RelayerStore(path);
    expect(store.nextBlock("1->2", 7n)).toBe(7n);
    store.recordScan("1->2", [stored(9n), stored(10n), stored(2n)], 100n);
    store.recordScan("1->2", [stored(10n)], 120n); // a rescan after a crash sees it again
    expect(store.pending("1->2", 10).map((m) => m.message.sequenceNumber)).toEqual([2n, 9n, 10n]);
    expect(store.pending("1->2", 10)[2]).toEqual(stored(10n));
    store.markDelivered("1->2", [2n, 9n], "0xabc");
    store.close();

    const reopened = new RelayerStore(path);
    expect(reopened.nextBlock("1->2", 0n)).toBe(120n);
    expect(reopened.counts("1->2")).toEqual({ pending: 1, delivered: 2 });
    expect(reopened.pending("1->2", 10).map((m) => m.message.sequenceNumber)).toEqual([10n]);
    expect(reopened.counts("2->1")).toEqual({ pending: 0, delivered: 0 });
    reopened.close();
  });

  it("moves the cursor only with its messages: a failed scan write changes nothing", () => {
    const store = new RelayerStore(join(dir, "b.db"));
    store.recordScan("1->2", [stored(1n)], 50n);
    const broken = { ...stored(2n), messageId: null as unknown as Hex }; // violates NOT NULL
    expect(() => store.recordScan("1->2", [stored(3n), broken], 80n)).toThrow();
    expect(store.nextBlock("1->2", 0n)).toBe(50n);
    expect(store.pending("1->2", 10).map((m) => m.message.sequenceNumber)).toEqual([1n]);
    store.close();
  });
});
