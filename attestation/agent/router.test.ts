import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../constants";
import { nodeVerify } from "../crypto/node";
import { answerLatency } from "../device";
import { noTicket } from "../messages/heartbeat";
import { verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import { keyFromLabel, testCapabilities } from "../testing";
import type { Verdict } from "../verdict";
import { createChallengerGateway } from "./challengerGateway";
import { signPayloadRequest } from "./payloadRequest";
import { signPoll } from "./poll";
import { createGatewayRouter } from "./router";

const gw = createChallengerGateway({
  networkId: 4n,
  signer: keyFromLabel("router-node"),
  epoch: () => 2n,
  beacon: () => new Uint8Array(32),
});
const app = createGatewayRouter(gw, { maxWaitMs: 50 });
const post = (path: string, body: Uint8Array) =>
  app.request(path, {
    method: "POST",
    body: body as Uint8Array<ArrayBuffer>,
    headers: { "content-type": "application/octet-stream" },
  });
const device = keyFromLabel("router-device");
const nodeKey = keyFromLabel("router-node").publicKey;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
let pollTime = BigInt(Date.now());
/** A GET of the device's challenges with a fresh poll it signed for this node. */
const pollRequest = (query = "", signer = device, timeMs = ++pollTime) =>
  app.request(`/v1/challenges/${hex(device.publicKey)}${query}`, {
    headers: { authorization: `Vigil-Poll ${hex(signPoll({ networkId: 4n, nodeKey, timeMs }, signer))}` },
  });
const hb = (epoch: bigint, seq = 1n, timeMs = BigInt(Date.now()), ticket = noTicket()) =>
  signMessage(
    "heartbeat",
    { networkId: 4n, epoch },
    { seq, timeMs, ticket, loadBps: 0, capabilities: testCapabilities },
    device,
  );
/** The `{ ticket }` an accepted registration or heartbeat is answered with: 32 bytes of hex. */
const ticketOf = async (res: Response) => {
  expect(res.status).toBe(200);
  const { ticket } = (await res.json()) as { ticket: string };
  expect(ticket).toMatch(/^[0-9a-f]{64}$/);
  return Uint8Array.from(Buffer.from(ticket, "hex"));
};

describe("gateway router", () => {
  it("accepts a valid heartbeat and rejects bad ones with the failed check", async () => {
    const first = await ticketOf(await post("/v1/heartbeat", hb(2n)));
    const replay = await post("/v1/heartbeat", hb(2n));
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "REPLAY" });
    expect(await (await post("/v1/heartbeat", hb(1n, 5n))).json()).toMatchObject({ error: "WRONG_EPOCH" });
    // Each accepted heartbeat is answered with a new ticket.
    expect(await ticketOf(await post("/v1/heartbeat", hb(2n, 6n, BigInt(Date.now()), first)))).not.toEqual(
      first,
    );
    // Signed far from the node's clock: refused, naming the skew.
    const skewed = await post("/v1/heartbeat", hb(2n, 7n, BigInt(Date.now() - 60_000)));
    expect(skewed.status).toBe(400);
    expect(await skewed.json()).toMatchObject({
      error: "DEADLINE",
      check: expect.stringMatching(/off the node's clock/),
    });
    expect(await (await post("/v1/heartbeat", new Uint8Array(10))).json()).toMatchObject({
      error: "TRUNCATED",
    });
    expect((await post("/v1/heartbeat", new Uint8Array(MAX_MESSAGE_BYTES + 1))).status).toBe(413);
  });

  it("validates path parameters and long-polls with a bounded wait", async () => {
    expect((await app.request("/v1/challenges/nothex")).status).toBe(400);
    const t = Date.now();
    const res = await pollRequest("?wait=100000");
    expect(await res.json()).toEqual({ challenges: [] });
    expect(Date.now() - t).toBeLessThan(5_000);
    // A payload request must be signed by a device; an unknown challenge is 404, garbage a 400.
    expect((await post("/v1/payload", signPayloadRequest(new Uint8Array(32), device))).status).toBe(404);
    expect(await (await post("/v1/payload", new Uint8Array(160))).json()).toMatchObject({
      error: "BAD_MAGIC",
    });
    expect(await (await app.request("/v1/info")).json()).toEqual({
      networkId: "4",
      epoch: "2",
      nowMs: expect.any(String),
      nodeKey: hex(nodeKey),
    });
  });

  it("delivers an issued challenge on poll", async () => {
    const bytes = gw.issue(device.publicKey, "latency");
    expect(bytes).toBeDefined();
    const res = await pollRequest("?wait=10");
    const { challenges } = (await res.json()) as { challenges: string[] };
    expect(challenges).toEqual([Buffer.from(bytes!).toString("hex")]);
  });
});

describe("gateway router: policy and heartbeat rate limit", () => {
  it("reports the policy's heartbeat interval and epoch end, and answers 429 over the per-device limit", async () => {
    const clock = { ms: 10_000n };
    const limited = createGatewayRouter(
      createChallengerGateway({
        networkId: 4n,
        signer: keyFromLabel("router-node"),
        epoch: () => 2n,
        epochEndMs: () => 30_000n,
        beacon: () => new Uint8Array(32),
        now: () => clock.ms,
        heartbeatIntervalMs: 1_000,
        maxHeartbeatsPerInterval: 2,
      }),
    );
    const send = (body: Uint8Array) =>
      limited.request("/v1/heartbeat", { method: "POST", body: body as Uint8Array<ArrayBuffer> });
    expect(await (await limited.request("/v1/info")).json()).toEqual({
      networkId: "4",
      epoch: "2",
      nowMs: "10000",
      heartbeatIntervalMs: 1_000,
      epochEndMs: "30000",
      nodeKey: hex(nodeKey),
    });
    expect((await send(hb(2n, 1n, clock.ms))).status).toBe(200);
    expect((await send(hb(2n, 2n, clock.ms))).status).toBe(200);
    const over = await send(hb(2n, 3n, clock.ms));
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ error: "RATE_LIMITED" });
    // Forged or replayed heartbeats are refused before they count, so nobody else uses up the allowance.
    expect((await send(hb(2n, 3n, clock.ms))).status).toBe(400);
    clock.ms += 1_000n;
    expect((await send(hb(2n, 4n, clock.ms))).status).toBe(200);
  });
});

describe("gateway router: authenticated challenge delivery", () => {
  const victim = keyFromLabel("poll-victim");
  const thief = keyFromLabel("poll-thief");
  const node = keyFromLabel("poll-node");
  const owner = new Uint8Array(20).fill(0xab);
  function setup() {
    const clock = { ms: 1_000_000n };
    const verdicts: Verdict[] = [];
    const gw = createChallengerGateway({
      networkId: 4n,
      signer: node,
      epoch: () => 2n,
      beacon: () => new Uint8Array(32),
      now: () => clock.ms,
      onVerdict: (v) => verdicts.push(v),
    });
    const app = createGatewayRouter(gw);
    const get = (path: string, poll?: Uint8Array | string) =>
      app.request(
        path,
        poll === undefined
          ? {}
          : { headers: { authorization: typeof poll === "string" ? poll : `Vigil-Poll ${hex(poll)}` } },
      );
    const poll = (signer = victim, o: { timeMs?: bigint; nodeKey?: Uint8Array; networkId?: bigint } = {}) =>
      signPoll(
        { networkId: o.networkId ?? 4n, nodeKey: o.nodeKey ?? node.publicKey, timeMs: o.timeMs ?? clock.ms },
        signer,
      );
    const at = `/v1/challenges/${hex(victim.publicKey)}`;
    return { clock, verdicts, gw, get, poll, at };
  }
  const refusal = async (res: Response) => ({ status: res.status, ...((await res.json()) as object) });
  const registration = (signer: typeof victim) =>
    signMessage(
      "registration",
      { networkId: 4n, epoch: 2n },
      {
        owner,
        capabilities: testCapabilities,
        storageRoot: new Uint8Array(32),
        storageChunks: 0,
        storageChunkBytes: 0,
      },
      signer,
    );

  it("refuses a thief's polls with 401/400 naming the check, takes nothing, and starts no clock", async () => {
    const { clock, verdicts, gw, get, poll, at } = setup();
    await gw.register(registration(victim));
    await gw.register(registration(thief));
    const issued = [gw.issue(victim.publicKey, "latency")!, gw.issue(victim.publicKey, "latency")!];
    clock.ms += 100n;
    // No poll at all, garbage, the victim's id signed with the thief's key, the thief's own poll at the victim's path.
    expect(await refusal(await get(at))).toMatchObject({ status: 401, error: "UNAUTHENTICATED" });
    expect(await refusal(await get(at, "Vigil-Poll zz"))).toMatchObject({
      status: 401,
      error: "UNAUTHENTICATED",
    });
    expect(await refusal(await get(at, "Vigil-Poll 00ff"))).toMatchObject({
      status: 400,
      error: "TRUNCATED",
    });
    expect(await refusal(await get(at, `Vigil-Poll ${"00".repeat(157)}`))).toMatchObject({
      status: 400,
      error: "BAD_MAGIC",
    });
    const forged = poll({ publicKey: victim.publicKey, sign: (m) => thief.sign(m) });
    expect(await refusal(await get(at, forged))).toMatchObject({
      status: 401,
      error: "BAD_SIGNATURE",
      check: "poll: not signed by the device it names",
    });
    expect(await refusal(await get(at, poll(thief)))).toMatchObject({ status: 401, error: "WRONG_DEVICE" });
    // The thief's own challenges are all it can take: none.
    expect(await (await get(`/v1/challenges/${hex(thief.publicKey)}`, poll(thief))).json()).toEqual({
      challenges: [],
    });
    // The victim still receives every challenge; the clock starts at its own delivery, not at the thefts.
    clock.ms += 400n;
    const delivered = (await (await get(at, poll())).json()) as { challenges: string[] };
    expect(delivered.challenges).toEqual(issued.map(hex));
    clock.ms += 30n;
    for (const bytes of issued) {
      const m = verifyMessage(bytes, { kind: "challenge", networkId: 4n }, nodeVerify);
      if (!m.ok) throw m.error;
      await gw.respond(answerLatency(victim, m.value));
    }
    expect(verdicts.map((v) => v.status)).toEqual(["pass", "pass"]);
    expect(verdicts.map((v) => (v.status === "pass" ? v.rttMs : -1))).toEqual([30, 30]);
  });

  it("refuses a replayed, stale or future poll, and one signed for another node or network", async () => {
    const { clock, gw, get, poll, at } = setup();
    await gw.register(registration(victim));
    const first = poll();
    expect((await get(at, first)).status).toBe(200);
    expect(await refusal(await get(at, first))).toMatchObject({ status: 401, error: "REPLAY" });
    // An older time than the last accepted poll, still inside the window: a replay too.
    expect(await refusal(await get(at, poll(victim, { timeMs: clock.ms - 1n })))).toMatchObject({
      status: 401,
      error: "REPLAY",
    });
    clock.ms += 60_000n;
    expect(await refusal(await get(at, first))).toMatchObject({ status: 401, error: "DEADLINE" });
    expect(await refusal(await get(at, poll(victim, { timeMs: clock.ms - 30_001n })))).toMatchObject({
      status: 401,
      error: "DEADLINE",
      check: expect.stringContaining("window ±30000 ms"),
    });
    expect(await refusal(await get(at, poll(victim, { timeMs: clock.ms + 30_001n })))).toMatchObject({
      status: 401,
      error: "DEADLINE",
    });
    const otherNode = keyFromLabel("poll-other-node").publicKey;
    expect(await refusal(await get(at, poll(victim, { nodeKey: otherNode })))).toMatchObject({
      status: 401,
      error: "MISMATCH",
      check: expect.stringContaining(`signed for node 0x${hex(otherNode)}`),
    });
    expect(await refusal(await get(at, poll(victim, { networkId: 5n })))).toMatchObject({
      status: 401,
      error: "WRONG_NETWORK",
    });
    // None of the refusals moved the replay guard: a fresh poll still passes, at the window's edge.
    expect((await get(at, poll(victim, { timeMs: clock.ms - 30_000n }))).status).toBe(200);
  });
});

describe("gateway router: owner binding", () => {
  const key = keyFromLabel("bound-device");
  const owner = new Uint8Array(20).fill(0xab);
  const squatter = new Uint8Array(20).fill(0x5c);
  const registration = (named: Uint8Array) =>
    signMessage(
      "registration",
      { networkId: 4n, epoch: 2n },
      {
        owner: named,
        capabilities: testCapabilities,
        storageRoot: new Uint8Array(32),
        storageChunks: 0,
        storageChunkBytes: 0,
      },
      key,
    );
  function node(chainOwner: Uint8Array) {
    const seen: { refused?: string }[] = [];
    const gw = createChallengerGateway({
      networkId: 4n,
      signer: keyFromLabel("bound-node"),
      epoch: () => 2n,
      beacon: () => new Uint8Array(32),
      ownerOf: (id) => (hex(id) === hex(key.publicKey) ? chainOwner : undefined),
      onRegistration: (_m, refused) => seen.push({ refused: refused?.check }),
    });
    const app = createGatewayRouter(gw);
    const post = (path: string, body: Uint8Array) =>
      app.request(path, { method: "POST", body: body as Uint8Array<ArrayBuffer> });
    const heartbeat = (seq: bigint) =>
      signMessage(
        "heartbeat",
        { networkId: 4n, epoch: 2n },
        { seq, timeMs: BigInt(Date.now()), ticket: noTicket(), loadBps: 0, capabilities: testCapabilities },
        key,
      );
    return { gw, post, heartbeat, seen };
  }

  it("refuses a registration naming another owner than the chain's; the device gets no credit and no challenge", async () => {
    const { gw, post, heartbeat, seen } = node(squatter);
    const res = await post("/v1/register", registration(owner));
    expect(res.status).toBe(400);
    const message = `registration names owner 0x${hex(owner)}, the chain holds 0x${hex(squatter)}`;
    expect(await res.json()).toEqual({ error: "MISMATCH", check: message });
    expect(seen).toEqual([{ refused: message }]);
    expect(await (await post("/v1/heartbeat", heartbeat(1n))).json()).toMatchObject({
      error: "UNKNOWN_DEVICE",
    });
    expect(gw.issue(key.publicKey, "latency")).toBeUndefined();
  });

  it("accepts the registration naming the chain's owner: heartbeats count and challenges are issued", async () => {
    const { gw, post, heartbeat, seen } = node(owner);
    // Before the registration: nothing counts.
    expect((await post("/v1/heartbeat", heartbeat(1n))).status).toBe(400);
    await ticketOf(await post("/v1/register", registration(owner)));
    expect(seen).toEqual([{ refused: undefined }]);
    await ticketOf(await post("/v1/heartbeat", heartbeat(2n)));
    expect(gw.issue(key.publicKey, "latency")).toBeDefined();
  });
});
