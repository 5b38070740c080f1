import { Registry } from "prom-client";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { createMemoryRing, createVerdictJournal } from "./verdictJournal";

const settlement = "0x00000000000000000000000000000000000000dd" as const;
const oracle = privateKeyToAccount(keccak256(toHex("journal-oracle")));

describe("createVerdictJournal", () => {
  it("drops new events (counted) while the signing backlog is full, and publishes the rest in order", async () => {
    // A signer that waits until released: the node's verification goes on, the backlog fills.
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = {
      address: oracle.address,
      signTypedData: (async (typed: Parameters<typeof oracle.signTypedData>[0]) => {
        await released;
        return oracle.signTypedData(typed);
      }) as typeof oracle.signTypedData,
    };
    const ring = createMemoryRing();
    const metrics = new Registry();
    const journal = createVerdictJournal(
      { chainId: 1, settlement, maxPending: 2 },
      { ring, account: slow, metrics },
    );
    const seen: bigint[] = [];
    journal.subscribe(1n, (r) => seen.push(r.seq));
    for (let i = 0; i < 5; i++)
      journal.verdict(1n, 0n, {
        deviceId: keccak256(toHex(`d${i}`)) as Hex,
        kind: "bandwidth",
        outcome: "missed",
        challengeId: keccak256(toHex(`c${i}`)),
      });
    release();
    await journal.idle();
    expect(seen).toEqual([1n, 2n]);
    expect(await metrics.getSingleMetricAsString("vigil_feed_events_dropped_total")).toContain(
      'reason="backlog"} 3',
    );
  });
});
