// The dashboard's data source for live verdicts: a node's real feed API (journal, SSE route), followed
// by `watchVerdicts`, becomes `verdicts` events in the devnet's log while the epoch is still running.
import "@hono/zod-openapi";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, serveApi } from "../../oracle-node/api";
import { generateLines } from "../../oracle-node/feed/fixture";
import { createFeedApp, createMemoryFeedSource } from "../../oracle-node/feed/index";
import {
  createMemoryRing,
  createVerdictJournal,
  type VerdictJournal,
} from "../../oracle-node/feed/verdictJournal";
import { EventLog } from "./events";
import type { DevnetNode } from "./nodes";
import { watchVerdicts } from "./verdicts";

const settlement = "0x00000000000000000000000000000000000000cc" as const;
const oracle = privateKeyToAccount(keccak256(toHex("devnet-verdicts-oracle")));
let journal: VerdictJournal;
let server: ApiServer;

beforeAll(async () => {
  journal = createVerdictJournal(
    { chainId: 31337, settlement },
    { ring: createMemoryRing(), account: oracle },
  );
  const source = createMemoryFeedSource({ verdicts: journal });
  // The memory source serves the networks it holds an epoch of: epoch 0 of network 1.
  source.publishEpoch({
    networkId: 1n,
    epoch: 0n,
    observationsCommitment: keccak256(toHex("o")),
    lines: generateLines(1n, 0n, 1),
  });
  server = await serveApi(createFeedApp(source, { rateLimit: false }), { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server?.close();
});

describe("watchVerdicts", () => {
  it("logs the running epoch's signed provisional verdicts, counted by outcome", async () => {
    const log = new EventLog();
    const stop = watchVerdicts(
      {
        node: { index: 0, apiUrl: server.url } as DevnetNode,
        networkId: 1n,
        chainId: 31337,
        settlement,
        signers: [oracle.address],
      },
      log,
      50,
    );
    try {
      let i = 0;
      const publish = (outcome: "pass" | "missed") =>
        journal.verdict(1n, 1n, {
          deviceId: keccak256(toHex(`d${i % 3}`)),
          kind: "compute",
          outcome,
          challengeId: keccak256(toHex(`c${i++}`)),
        });
      const total = () =>
        log
          .all()
          .filter((e) => e.type === "verdicts" && e.epoch === 1)
          .at(-1);
      // The stream subscribes when the watcher connects: publish until it has seen some.
      await expect
        .poll(() => {
          publish("pass");
          return (total() as { total: number } | undefined)?.total ?? 0;
        })
        .toBeGreaterThan(0);
      publish("missed");
      await expect.poll(() => (total() as { outcomes: Record<string, number> }).outcomes.missed).toBe(1);
      expect(log.all().some((e) => e.type === "log" && e.level === "warn")).toBe(false);
    } finally {
      stop();
    }
  });
});
