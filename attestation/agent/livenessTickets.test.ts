import { describe, expect, it } from "vitest";
import type { Signer } from "../crypto/ed25519";
import { noTicket } from "../messages/heartbeat";
import { signMessage } from "../messages/sign";
import { keyFromLabel, testCapabilities, testRegistration } from "../testing";
import { createChallengerGateway } from "./challengerGateway";
import { TICKETS_PER_DEVICE, type TicketCheck, TicketRing } from "./livenessTickets";

describe("TicketRing", () => {
  it("credits a ticket once, while young; zero bytes, strangers and expired tickets never", () => {
    const ring = new TicketRing();
    const t = ring.issue(1_000n);
    expect(t).toHaveLength(32);
    expect(ring.redeem(noTicket(), 1_100n, 500)).toBe("none");
    expect(ring.redeem(new Uint8Array(32).fill(7), 1_100n, 500)).toBe("unknown");
    expect(ring.redeem(t, 1_500n, 500)).toBe("fresh");
    expect(ring.redeem(t, 1_500n, 500)).toBe("used");
    const old = ring.issue(2_000n);
    expect(ring.redeem(old, 2_501n, 500)).toBe("expired");
    // Unpredictable: drawn from the platform's CSPRNG, never the same twice.
    expect(ring.issue(3_000n)).not.toEqual(ring.issue(3_000n));
  });

  it("keeps only the newest tickets: memory stays bounded whatever the device sends", () => {
    const ring = new TicketRing();
    const issued = Array.from({ length: 10_000 }, (_, i) => ring.issue(BigInt(i)));
    expect(ring.size).toBe(TICKETS_PER_DEVICE);
    expect(ring.redeem(issued[0]!, 10_000n, 60_000)).toBe("unknown");
    expect(ring.redeem(issued[9_999 - TICKETS_PER_DEVICE]!, 10_000n, 60_000)).toBe("unknown");
    for (const t of issued.slice(-TICKETS_PER_DEVICE)) expect(ring.redeem(t, 10_000n, 60_000)).toBe("fresh");
  });
});

describe("gateway: liveness tickets and clock skew", () => {
  const NET = 7n;
  const device = keyFromLabel("ticket-device");
  const other = keyFromLabel("ticket-other-device");
  function node(label: string, clock: { ms: bigint }) {
    const seen: TicketCheck[] = [];
    const gw = createChallengerGateway({
      networkId: NET,
      signer: keyFromLabel(label),
      epoch: () => 0n,
      beacon: () => new Uint8Array(32),
      now: () => clock.ms,
      ticketMaxAgeMs: 1_000,
      maxClockSkewMs: 2_000,
      onHeartbeat: (_m, ticket) => seen.push(ticket),
    });
    return { gw, seen };
  }
  const seqs = new Map<Signer, bigint>();
  const heartbeat = (key: Signer, ticket: Uint8Array, timeMs: bigint) => {
    const seq = (seqs.get(key) ?? 0n) + 1n;
    seqs.set(key, seq);
    return signMessage(
      "heartbeat",
      { networkId: NET, epoch: 0n },
      { seq, timeMs, ticket, loadBps: 0, capabilities: testCapabilities },
      key,
    );
  };

  it("reports a fresh ticket only for this node's own, unused, young ticket given to this device", async () => {
    const clock = { ms: 1_000_000n };
    const a = node("ticket-node-a", clock);
    const b = node("ticket-node-b", clock);
    const fromA = (await a.gw.register(testRegistration(device, NET))).ticket;
    const fromB = (await b.gw.register(testRegistration(device, NET))).ticket;
    const othersTicket = (await a.gw.register(testRegistration(other, NET))).ticket;

    // The registration's ticket: fresh once, then used.
    await a.gw.heartbeat(heartbeat(device, fromA, clock.ms));
    await a.gw.heartbeat(heartbeat(device, fromA, clock.ms));
    // No ticket, another device's, another node's: accepted (answered with a new ticket), not fresh.
    await a.gw.heartbeat(heartbeat(device, noTicket(), clock.ms));
    await a.gw.heartbeat(heartbeat(device, othersTicket, clock.ms));
    const { ticket: next } = await a.gw.heartbeat(heartbeat(device, fromB, clock.ms));
    expect(a.seen).toEqual(["fresh", "used", "none", "unknown", "unknown"]);
    // Too old on arrival (1 s allowed).
    clock.ms += 1_001n;
    await a.gw.heartbeat(heartbeat(device, next, clock.ms));
    expect(a.seen.at(-1)).toBe("expired");
    // Redeemed outside heartbeat() (gossip, a batch): the same rule.
    expect(a.gw.redeemTicket(other.publicKey, othersTicket)).toBe("expired");
    const { ticket: latest } = await a.gw.heartbeat(heartbeat(device, noTicket(), clock.ms));
    expect(b.gw.redeemTicket(device.publicKey, latest)).toBe("unknown");
    expect(a.gw.redeemTicket(other.publicKey, latest)).toBe("unknown");
    expect(a.gw.redeemTicket(device.publicKey, latest)).toBe("fresh");
    expect(a.gw.redeemTicket(device.publicKey, latest)).toBe("used");
    expect(a.gw.redeemTicket(keyFromLabel("never-seen").publicKey, latest)).toBe("unknown");
    expect(b.seen).toEqual([]);
  });

  it("refuses a heartbeat signed further from the node's clock than the skew allowed, naming the skew", async () => {
    const clock = { ms: 5_000_000n };
    const { gw, seen } = node("ticket-node-skew", clock);
    const { ticket } = await gw.register(testRegistration(device, NET));
    await expect(gw.heartbeat(heartbeat(device, ticket, clock.ms + 2_001n))).rejects.toMatchObject({
      code: "DEADLINE",
      check: "heartbeat.timeMs is 2001 ms off the node's clock (at most ±2000 ms skew)",
    });
    await expect(gw.heartbeat(heartbeat(device, ticket, clock.ms - 30_000n))).rejects.toMatchObject({
      code: "DEADLINE",
      check: "heartbeat.timeMs is -30000 ms off the node's clock (at most ±2000 ms skew)",
    });
    // Refused heartbeats used nothing: the ticket still credits a heartbeat within the bound.
    await gw.heartbeat(heartbeat(device, ticket, clock.ms - 2_000n));
    expect(seen).toEqual(["fresh"]);
  });

  it("holds at most the newest few tickets per device under 10k heartbeats", async () => {
    const clock = { ms: 9_000_000n };
    const { gw, seen } = node("ticket-node-flood", clock);
    const answers: Uint8Array[] = [];
    // Each echoes a random ticket (a hostile device), and is answered with a new one.
    for (let i = 0; i < 10_000; i++) {
      const guess = globalThis.crypto.getRandomValues(new Uint8Array(32));
      answers.push((await gw.heartbeat(heartbeat(other, guess, clock.ms))).ticket);
    }
    expect(seen.every((s) => s === "unknown")).toBe(true);
    expect(new Set(answers.map((t) => Buffer.from(t).toString("hex"))).size).toBe(10_000);
    // Only the newest TICKETS_PER_DEVICE are still held; everything older is forgotten.
    const held = answers.map((t) => gw.redeemTicket(other.publicKey, t));
    expect(held.filter((h) => h === "fresh")).toHaveLength(TICKETS_PER_DEVICE);
    expect(held.slice(-TICKETS_PER_DEVICE)).toEqual(Array(TICKETS_PER_DEVICE).fill("fresh"));
  }, 60_000);
});
