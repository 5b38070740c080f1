// Which epochs the driver fills in, and when: with a real store, a recording `Backfill` and a client
// that answers only `getContractEvents` (the chain path itself runs on anvil in
// test/settlement/nodeSettlement.test.ts, "a node restarted on an empty disk").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { PublicClient } from "viem";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Store } from "../store/index";
import { createBackfillDriver } from "./driver";
import { BackfillError } from "./errors";
import type { Backfill } from "./interface";

const ROOT = `0x${"11".repeat(32)}` as const;
const ZERO = `0x${"00".repeat(32)}` as const;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(
  o: { zeroRoots?: bigint[]; failing?: Set<bigint>; pending?: Set<bigint>; noPeers?: Set<bigint> } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "vigil-backfill-driver-"));
  dirs.push(dir);
  const store = Store.open({ dataDir: dir });
  const filled: bigint[] = [];
  const asked: bigint[] = [];
  const backfill: Backfill = {
    async fill(networkId, epoch, settled) {
      asked.push(epoch);
      if (o.failing?.has(epoch)) throw new Error("no peer had it");
      if (o.noPeers?.has(epoch))
        throw new BackfillError("BACKFILL_UNAVAILABLE", "no peer's answer checked out", {
          peers: { p: "stream reset" },
          refusedAnswers: 0,
        });
      expect(settled.resultRoot).toBe(ROOT);
      filled.push(epoch);
      return { networkId, epoch, peerId: "p", observations: 3, votes: 3 };
    },
    stop: async () => {},
  };
  const client = {
    getContractEvents: async ({ args }: { args: { epoch: bigint } }) => [
      {
        args: {
          resultRoot: o.zeroRoots?.includes(args.epoch) ? ZERO : ROOT,
          observationsCommitment: ROOT,
        },
      },
    ],
  } as unknown as PublicClient;
  const driver = createBackfillDriver({
    backfill,
    store,
    client,
    settlement: "0x0000000000000000000000000000000000000001",
    agreement: (_n, e) => (o.pending?.has(e) ? "pending" : undefined),
    logger: pino({ level: "silent" }),
  });
  return { driver, store, filled, asked };
}

describe("backfill driver", () => {
  it("at start fills the last 16 settled epochs it lacks, skipping timed-out ones", async () => {
    const { driver, filled, store } = setup({ zeroRoots: [30n] });
    driver.catchUp(1n, 40n);
    await driver.idle();
    expect(filled).toEqual([25n, 26n, 27n, 28n, 29n, 31n, 32n, 33n, 34n, 35n, 36n, 37n, 38n, 39n, 40n]);
    store.close();
  });

  it("defers an epoch whose own agreement is still to come, and fills it at a later settlement if still missing", async () => {
    const pending = new Set([5n]);
    const { driver, asked, filled, store } = setup({ pending });
    driver.settled(1n, 5n);
    await driver.idle();
    expect(asked).toEqual([]);
    pending.clear();
    driver.settled(1n, 6n);
    await driver.idle();
    expect(filled).toEqual([5n, 6n]);
    store.close();
  });

  it("retries a failed epoch at the next settlements, three tries in all, and forgets it past the window", async () => {
    const { driver, asked, store } = setup({ failing: new Set([3n]) });
    for (const e of [3n, 4n, 5n, 6n, 7n]) {
      driver.settled(1n, e);
      await driver.idle();
    }
    expect(asked.filter((e) => e === 3n)).toHaveLength(3);
    driver.settled(1n, 30n);
    await driver.idle();
    expect(asked.filter((e) => e === 3n)).toHaveLength(3);
    store.close();
  });

  it("asks again after 2 s, 4 s, … when no peer answered (none connected, streams reset), without using up its tries", async () => {
    vi.useFakeTimers();
    try {
      const noPeers = new Set([3n]);
      const { driver, asked, filled, store } = setup({ noPeers });
      driver.catchUp(1n, 3n);
      await driver.idle();
      expect(asked.filter((e) => e === 3n)).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(2_000);
      await driver.idle();
      await vi.advanceTimersByTimeAsync(4_000);
      await driver.idle();
      expect(asked.filter((e) => e === 3n)).toHaveLength(3);
      // The peers have connected (a restarted node); no epoch settled in between.
      noPeers.clear();
      await vi.advanceTimersByTimeAsync(8_000);
      await driver.idle();
      expect(filled).toContain(3n);
      driver.stop();
      store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("gives up timed retries after about a minute, and still has its three tries at later settlements", async () => {
    vi.useFakeTimers();
    try {
      const noPeers = new Set([3n]);
      const { driver, asked, filled, store } = setup({ noPeers });
      driver.catchUp(1n, 3n);
      await driver.idle();
      for (let i = 0; i < 10; i++) {
        await vi.advanceTimersByTimeAsync(64_000);
        await driver.idle();
      }
      // The first attempt and 6 timed ones: then it waits for a settlement.
      expect(asked.filter((e) => e === 3n)).toHaveLength(7);
      noPeers.clear();
      driver.settled(1n, 4n);
      await driver.idle();
      expect(filled).toContain(3n);
      driver.stop();
      store.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("stops its retry timers when stopped", async () => {
    vi.useFakeTimers();
    try {
      const { driver, asked, store } = setup({ noPeers: new Set([3n]) });
      driver.catchUp(1n, 3n);
      await driver.idle();
      driver.stop();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(asked.filter((e) => e === 3n)).toHaveLength(1);
      store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
