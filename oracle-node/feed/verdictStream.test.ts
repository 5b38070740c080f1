// The live verdict stream end to end inside one process: a journal signing into the node's SQLite
// store, the feed API serving it over real HTTP, and the client checking every event.
// Loaded first: it extends zod for OpenAPI before the client's plain schemas load (see schemas.ts).
import "@hono/zod-openapi";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Hex, keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, serveApi } from "../api";
import { Store } from "../store/index";
import {
  type StreamedVerdict,
  streamEventProblem,
  streamEventTypedData,
  streamVerdicts,
} from "./client/index";
import { createFeedApp } from "./createFeedApp";
import { createStoreFeedSource } from "./storeSource";
import { createVerdictJournal, storeRing, type VerdictJournal } from "./verdictJournal";

const settlement = "0x00000000000000000000000000000000000000aa" as const;
const chainId = 31337;
const oracle = privateKeyToAccount(keccak256(toHex("stream-oracle")));
const stranger = privateKeyToAccount(keccak256(toHex("stream-stranger")));
const dev = (i: number) => keccak256(toHex(`stream-device-${i}`));
const verify = { chainId, settlement, signers: [oracle.address] };

let dir: string;
let store: Store;
let journal: VerdictJournal;
let server: ApiServer;

const publish = (device: Hex, i: number, outcome: "pass" | "late" = "pass") =>
  journal.verdict(1n, 5n, {
    deviceId: device,
    kind: "compute",
    outcome,
    challengeId: keccak256(toHex(`c${i}`)),
  });

/** Reads `count` events from the stream (the generator is left open for the caller to abort). */
async function take(it: AsyncGenerator<StreamedVerdict>, count: number): Promise<StreamedVerdict[]> {
  const out: StreamedVerdict[] = [];
  while (out.length < count) {
    const next = await it.next();
    if (next.done) throw new Error(`stream ended after ${out.length} events`);
    out.push(next.value);
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vigil-stream-"));
  store = Store.open({ dataDir: dir });
  journal = createVerdictJournal(
    { chainId, settlement, maxVerdictsPerDevice: 3, resumeEvents: 8 },
    { ring: storeRing(store), account: oracle },
  );
  const source = createStoreFeedSource(store, { verdicts: journal, networks: [1n] });
  server = await serveApi(createFeedApp(source, { rateLimit: false }), { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("verdict journal", () => {
  it("signs events a consumer verifies, and refuses a changed field or a stranger's signature", async () => {
    publish(dev(1), 1);
    await journal.idle();
    const [record] = journal.after(1n, 0n, 10);
    const event = JSON.parse(record!.body);
    expect(event).toMatchObject({
      type: "verdict",
      provisional: true,
      epoch: "5",
      seq: record!.seq.toString(),
    });
    expect(await streamEventProblem(event, verify)).toBeUndefined();
    expect(await streamEventProblem({ ...event, outcome: "late" }, verify)).toMatch(
      /not by the claimed signer/,
    );
    const { signature: _s, ...unsigned } = event;
    const typed = streamEventTypedData(unsigned, verify);
    if (typed.primaryType !== "ProvisionalVerdict") throw new Error("expected a verdict");
    const forged = { ...event, signer: stranger.address, signature: await stranger.signTypedData(typed) };
    expect(await streamEventProblem(forged, verify)).toMatch(/not an active registered oracle/);
  });

  it("caps verdicts per device per epoch but always publishes fraud", async () => {
    const before = store.lastFeedSeq();
    for (let i = 0; i < 5; i++) publish(dev(2), 100 + i);
    journal.verdict(1n, 5n, {
      deviceId: dev(2),
      kind: "storage",
      outcome: "fraud",
      challengeId: keccak256(toHex("fraud")),
      evidenceHash: keccak256(toHex("evidence")),
    });
    await journal.idle();
    expect(store.lastFeedSeq() - before).toBe(4n); // 3 capped passes + the fraud
  });

  it("numbers events on from the store after a restart", async () => {
    const last = store.lastFeedSeq();
    const again = createVerdictJournal({ chainId, settlement }, { ring: storeRing(store), account: oracle });
    again.settled(1n, 4n, keccak256(toHex("root")));
    await again.idle();
    expect(store.lastFeedSeq()).toBe(last + 1n);
  });
});

describe("verdict stream over HTTP", () => {
  it("delivers signed events live, resumes with Last-Event-ID missing nothing, and resets when too old", async () => {
    const controller = new AbortController();
    const live = streamVerdicts(server.url, 1n, { signal: controller.signal, verify });
    const first = live.next();
    // The subscription starts with the response; publish until the reader has one.
    await expect
      .poll(async () => {
        publish(dev(3), Math.floor(Math.random() * 1e9));
        return Promise.race([first.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
      })
      .toBe(true);
    const got = (await first).value as StreamedVerdict & { type: "verdict" };
    expect(got.type).toBe("verdict");
    expect(got.id).toBe(`5:${got.event.seq}`);
    controller.abort();

    // Missed while disconnected: three more (device 4, under its cap); resume from `got.id`.
    await journal.idle();
    for (let i = 0; i < 3; i++) publish(dev(4), 200 + i);
    await journal.idle();
    const missed = journal.after(1n, BigInt(got.event.seq), 100).map((r) => r.seq.toString());
    const resume = new AbortController();
    const resumed = await take(
      streamVerdicts(server.url, 1n, { signal: resume.signal, verify, lastEventId: got.id }),
      missed.length,
    );
    resume.abort();
    expect(resumed.map((e) => (e.type === "verdict" || e.type === "settled" ? e.event.seq : e.type))).toEqual(
      missed,
    );

    // The ring holds the last 8 events: an id from before it gets a `reset`, then what is held.
    expect(store.oldestFeedSeq()).toBe(store.lastFeedSeq() - 7n);
    const old = new AbortController();
    const [reset] = await take(
      streamVerdicts(server.url, 1n, { signal: old.signal, verify, lastEventId: "5:1" }),
      1,
    );
    old.abort();
    expect(reset).toMatchObject({ type: "reset", event: { reason: "too-old" } });
    // An id this node never sent (another node's, or a wiped store): `unknown-id`.
    const foreign = new AbortController();
    const [unknown] = await take(
      streamVerdicts(server.url, 1n, { signal: foreign.signal, verify, lastEventId: "5:999999" }),
      1,
    );
    foreign.abort();
    expect(unknown).toMatchObject({ type: "reset", event: { reason: "unknown-id" } });
  });

  it("refuses a malformed or huge Last-Event-ID with a 400", async () => {
    for (const id of ["nope", "5:", `5:${"9".repeat(30)}`, "x".repeat(5000)]) {
      const res = await fetch(`${server.url}/v1/networks/1/verdicts/stream`, {
        headers: { "last-event-id": id },
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("Last-Event-ID");
    }
  });

  it("rejects a forged event", async () => {
    const body = JSON.parse(journal.after(1n, 0n, 1)[0]!.body);
    const forged = { ...body, outcome: "late" };
    const sse = `event: verdict\nid: ${body.epoch}:${body.seq}\ndata: ${JSON.stringify(forged)}\n\n`;
    const fakeFetch = (async () =>
      new Response(sse, { headers: { "content-type": "text/event-stream" } })) as typeof fetch;
    await expect(
      take(streamVerdicts("http://forger", 1n, { verify, fetch: fakeFetch }), 1),
    ).rejects.toMatchObject({
      code: "INVALID_EVENT",
    });
    const malformed = `event: verdict\nid: 5:1\ndata: {"type":"verdict"}\n\n`;
    const badFetch = (async () => new Response(malformed)) as typeof fetch;
    await expect(
      take(streamVerdicts("http://forger", 1n, { verify, fetch: badFetch }), 1),
    ).rejects.toMatchObject({
      code: "MALFORMED_RESPONSE",
    });
  });
});
