import { generateKeyPair } from "@libp2p/crypto/keys";
import type { GossipSub } from "@libp2p/gossipsub";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { PeerAllowList } from "./allowList";
import { createP2P } from "./createP2P";
import { EnvelopeSigner } from "./envelope";
import { type GossipMessage, type P2P, Validation } from "./interface";

const logger = pino({ level: "silent" });
const opts = {
  listen: ["/ip4/127.0.0.1/tcp/0"],
  mdns: false,
  namespace: "test",
  heartbeatIntervalMs: 100,
  topicLimits: { attestations: { maxBytes: 1024 } },
};

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timeout");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const pubsubOf = (p: P2P) => (p.libp2p as unknown as { services: { pubsub: GossipSub } }).services.pubsub;

const meshSize = (p: P2P, topic: string) =>
  (pubsubOf(p) as unknown as { mesh: Map<string, Set<string>> }).mesh.get(topic)?.size ?? 0;

describe("p2p on loopback", () => {
  const nodes: P2P[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it("gossips between allow-listed peers, rejects hostile gossip and lowers the sender's score", async () => {
    const allow = new PeerAllowList();
    for (let i = 0; i < 3; i++) nodes.push(await createP2P(opts, { logger, allowList: allow }));
    const [a, b, hostile] = nodes as [P2P, P2P, P2P];
    allow.set(nodes.map((n) => n.peerId));
    const topic = a.topic("attestations");
    const got: Record<string, GossipMessage[]> = { a: [], b: [] };
    const validator = (m: GossipMessage) => (m.data[0] === 0xff ? Validation.Reject : Validation.Accept);
    a.subscribe(topic, validator, (m) => {
      got.a?.push(m);
    });
    b.subscribe(topic, validator, (m) => {
      got.b?.push(m);
    });
    hostile.subscribe(topic, validator, () => {});
    await a.dial(b.addresses()[0]!);
    await hostile.dial(a.addresses()[0]!);
    await until(
      () => pubsubOf(a).getSubscribers(topic).length === 2 && pubsubOf(b).getSubscribers(topic).length >= 1,
    );

    await a.publish(topic, new Uint8Array([1, 2, 3]));
    await until(() => got.b?.length === 1);
    expect(got.b?.[0]?.from).toBe(a.peerId);
    expect([...(got.b?.[0]?.data ?? [])]).toEqual([1, 2, 3]);

    // The hostile (registered but misbehaving) peer sends raw gossip around the envelope checks.
    const raw = pubsubOf(hostile);
    const forger = new EnvelopeSigner(await generateKeyPair("Ed25519")); // not allow-listed key
    const honestSealed = new EnvelopeSigner(await generateKeyPair("Ed25519")).seal(
      topic,
      new Uint8Array([9]),
    );
    const tampered = honestSealed.slice();
    tampered[tampered.length - 1] = 8;
    const bad: Uint8Array[] = [
      new Uint8Array([0xde, 0xad]), // garbage
      new Uint8Array(4096).fill(7), // oversized
      forger.seal(topic, new Uint8Array([4])), // signer not registered
      tampered, // wrong signature
      forger.seal(topic, new Uint8Array([5]), Date.now() - 10 * 60_000), // replay of an old message
    ];
    for (const m of bad) await raw.publish(topic, m);
    // Oversized topic-limit check happens before the payload validator; a payload the app rejects:
    await hostile.publish(topic, new Uint8Array([0xff]));
    // Its score falls below 0; far enough and it is graylisted and disconnected (tested below), gone from peers().
    await until(() => {
      const peer = a.peers().find((p) => p.peerId === hostile.peerId);
      return peer === undefined || peer.score < 0;
    });
    expect(got.a).toHaveLength(0);
    expect(got.b).toHaveLength(1);

    // Still works after the abuse.
    await b.publish(topic, new Uint8Array([4, 5]));
    await until(() => got.a?.length === 1);
    expect(() => a.topic("nope")).toThrow(/unknown topic/);
    await expect(a.publish(topic, new Uint8Array(2048))).rejects.toMatchObject({
      code: "P2P_MESSAGE_TOO_LARGE",
    });
  });

  it("refuses connections from peers that are not registered operators", async () => {
    const allow = new PeerAllowList();
    const member = await createP2P(opts, { logger, allowList: allow });
    const outsiderAllow = new PeerAllowList();
    const outsider = await createP2P(opts, { logger, allowList: outsiderAllow });
    nodes.push(member, outsider);
    allow.set([member.peerId]);
    outsiderAllow.set([member.peerId, outsider.peerId]);
    // The member refuses to dial it; the outsider's own dial may finish its handshake before the
    // member's gater (which needs the authenticated peer id) drops the connection, so check the outcome.
    await expect(member.dial(outsider.addresses()[0]!)).rejects.toThrow();
    await outsider.dial(member.addresses()[0]!).catch(() => {});
    await until(() => outsider.peers().length === 0);
    expect(member.peers()).toHaveLength(0);
  });

  it("accepts many oracles dialling in from one host at once (libp2p's default allows 5 a second)", async () => {
    const allow = new PeerAllowList();
    const hub = await createP2P(opts, { logger, allowList: allow });
    const dialers = await Promise.all(
      Array.from({ length: 9 }, () => createP2P(opts, { logger, allowList: allow })),
    );
    nodes.push(hub, ...dialers);
    allow.set([hub, ...dialers].map((n) => n.peerId));
    await Promise.all(dialers.map((d) => d.dial(hub.addresses()[0]!)));
    await until(() => hub.peers().length === dialers.length);
  });

  it("with the reduced mesh degree, gossip still crosses nodes that have no direct link", async () => {
    // A line a - b - c - d: only forwarding by the mesh gets a's message to d.
    const allow = new PeerAllowList();
    const line = await Promise.all(
      Array.from({ length: 4 }, () => createP2P(opts, { logger, allowList: allow })),
    );
    nodes.push(...line);
    allow.set(line.map((n) => n.peerId));
    const topic = line[0]!.topic("attestations");
    const got: GossipMessage[] = [];
    for (const [i, n] of line.entries())
      n.subscribe(
        topic,
        () => Validation.Accept,
        (m) => {
          if (i === 3) got.push(m);
        },
      );
    for (let i = 0; i < 3; i++) await line[i]!.dial(line[i + 1]!.addresses()[0]!);
    await until(() => line.every((n, i) => meshSize(n, topic) === (i === 0 || i === 3 ? 1 : 2)));
    await line[0]!.publish(topic, new Uint8Array([7]));
    await until(() => got.length === 1);
    expect(got[0]!.from).toBe(line[0]!.peerId);
  });

  it("logs a refused unregistered peer once, at debug, with its address", async () => {
    const lines: Record<string, unknown>[] = [];
    const debugLogger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const registry = new Registry();
    const allow = new PeerAllowList();
    const member = await createP2P(opts, { logger: debugLogger, allowList: allow, metrics: registry });
    const outsiderAllow = new PeerAllowList();
    const outsider = await createP2P(opts, { logger, allowList: outsiderAllow });
    nodes.push(member, outsider);
    allow.set([member.peerId]);
    outsiderAllow.set([member.peerId, outsider.peerId]);
    const refused = async () =>
      (await registry.getSingleMetric("vigil_p2p_refused_connections_total")!.get()).values
        .filter((v) => v.labels.reason === "unregistered")
        .reduce((sum, v) => sum + v.value, 0);
    for (let attempt = 1; attempt <= 3; attempt++) {
      // The dial may complete its handshake before the member's gater drops it: wait on the refusal.
      await outsider.dial(member.addresses()[0]!).then(
        () => "connected",
        () => "refused",
      );
      await expect.poll(refused, { timeout: 10_000 }).toBeGreaterThanOrEqual(attempt);
      await until(() => outsider.peers().length === 0);
    }
    const logged = lines.filter((l) => l.msg === "refused a peer that is not a registered operator");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 20, peer: outsider.peerId, module: "p2p" });
    expect(logged[0]!.addr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/);
  });

  it("disconnects a gossip peer that gossipsub graylists and refuses it while it cools off", async () => {
    const registry = new Registry();
    const allow = new PeerAllowList();
    const honest = await createP2P(
      { ...opts, graylistCooldownMs: 60_000 },
      { logger, allowList: allow, metrics: registry },
    );
    const hostile = await createP2P(opts, { logger, allowList: allow });
    nodes.push(honest, hostile);
    allow.set([honest.peerId, hostile.peerId]);
    const topic = honest.topic("attestations");
    const reject = (m: GossipMessage) => (m.data[0] === 0xff ? Validation.Reject : Validation.Accept);
    honest.subscribe(topic, reject, () => {});
    hostile.subscribe(
      topic,
      () => Validation.Accept,
      () => {},
    );
    await hostile.dial(honest.addresses()[0]!);
    await until(() => pubsubOf(hostile).getSubscribers(topic).length === 1);
    // Each rejected message costs -10 x (count^2): four take the sender below the -80 graylist threshold.
    for (let i = 0; i < 6; i++) await hostile.publish(topic, new Uint8Array([0xff, i]));
    await expect
      .poll(
        async () =>
          (await registry.getSingleMetric("vigil_p2p_graylist_disconnects_total")!.get()).values[0]?.value,
        {
          timeout: 10_000,
        },
      )
      .toBe(1);
    await until(() => honest.peers().length === 0 && hostile.peers().length === 0);
    // Registered, but refused both ways while cooling off.
    await expect(honest.dial(hostile.addresses()[0]!)).rejects.toThrow();
    await hostile.dial(honest.addresses()[0]!).then(
      () => "connected",
      () => "refused",
    );
    await until(() => hostile.peers().length === 0);
    const refusals = (await registry.getSingleMetric("vigil_p2p_refused_connections_total")!.get()).values;
    expect(refusals.find((v) => v.labels.reason === "graylisted")?.value).toBeGreaterThanOrEqual(2);
    expect(honest.peers()).toHaveLength(0);
  });

  it("rejects a mesh degree that is not a positive integer", async () => {
    await expect(
      createP2P({ ...opts, meshDegree: 0 }, { logger, allowList: new PeerAllowList() }),
    ).rejects.toMatchObject({ code: "P2P_BAD_OPTIONS", message: expect.stringMatching(/meshDegree/) });
  });
});
