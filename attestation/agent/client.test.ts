import { describe, expect, it } from "vitest";
import { bytesToHex } from "../bytes";
import { keyFromLabel } from "../testing";
import { httpGateway } from "./client";
import { signPoll } from "./poll";

/** fetch fails the way undici does: a TypeError "fetch failed" with the socket error as its cause. */
const socketError = (code: string) => Object.assign(new TypeError("fetch failed"), { cause: { code } });
const info = () => Response.json({ networkId: "1", epoch: "3", nowMs: "5" });

describe("httpGateway transport errors", () => {
  it("retries once on a stale keep-alive socket, then succeeds", async () => {
    let calls = 0;
    const gw = httpGateway("http://node.invalid/device", {
      fetch: async () => {
        calls++;
        if (calls === 1) throw socketError("UND_ERR_SOCKET");
        return info();
      },
    });
    expect(await gw.info()).toEqual({ networkId: 1n, epoch: 3n, nowMs: 5n });
    expect(calls).toBe(2);
  });

  it("accepts a node's 204 (response) with no body", async () => {
    const gw = httpGateway("http://node.invalid/device", {
      fetch: async () => new Response(null, { status: 204 }),
    });
    await expect(gw.respond(new Uint8Array(8))).resolves.toBeUndefined();
  });

  it("returns the liveness ticket a heartbeat or registration is answered with; a malformed one is a PROTOCOL error", async () => {
    const ticket = "ab".repeat(32);
    const gw = (body: unknown) =>
      httpGateway("http://node.invalid/device", { fetch: async () => Response.json(body) });
    expect(await gw({ ticket }).heartbeat(new Uint8Array(8))).toEqual({
      ticket: new Uint8Array(32).fill(0xab),
    });
    expect(await gw({ ticket }).register(new Uint8Array(8))).toEqual({
      ticket: new Uint8Array(32).fill(0xab),
    });
    for (const bad of [{}, { ticket: "ab" }, { ticket: 5 }])
      await expect(gw(bad).heartbeat(new Uint8Array(8))).rejects.toMatchObject({
        code: "PROTOCOL",
        check: "heartbeat: ticket is not 32 bytes of hex",
      });
  });

  it("does not retry a refused connection, and names the socket error", async () => {
    let calls = 0;
    const gw = httpGateway("http://node.invalid/device", {
      fetch: async () => {
        calls++;
        throw socketError("ECONNREFUSED");
      },
    });
    await expect(gw.info()).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining("fetch failed (ECONNREFUSED)"),
    });
    expect(calls).toBe(1);
  });
});

describe("httpGateway info and rate limits", () => {
  const answering = (body: unknown, status = 200) =>
    httpGateway("http://node.invalid/device", { fetch: async () => Response.json(body, { status }) });

  it("reads the policy's heartbeat interval and the epoch end, and accepts a node that sends neither", async () => {
    expect(
      await answering({
        networkId: "1",
        epoch: "3",
        nowMs: "5",
        heartbeatIntervalMs: 2500,
        epochEndMs: "9",
      }).info(),
    ).toEqual({ networkId: 1n, epoch: 3n, nowMs: 5n, heartbeatIntervalMs: 2500, epochEndMs: 9n });
    expect(await answering({ networkId: "1", epoch: "3", nowMs: "5" }).info()).toEqual({
      networkId: 1n,
      epoch: 3n,
      nowMs: 5n,
    });
  });

  it("names the malformed field of an info answer", async () => {
    const base = { networkId: "1", epoch: "3", nowMs: "5" };
    for (const [bad, field] of [
      [{ ...base, heartbeatIntervalMs: "5000" }, "heartbeatIntervalMs"],
      [{ ...base, heartbeatIntervalMs: 0 }, "heartbeatIntervalMs"],
      [{ ...base, heartbeatIntervalMs: 1.5 }, "heartbeatIntervalMs"],
      [{ ...base, epochEndMs: -1 }, "epochEndMs"],
      [{ ...base, epoch: "x" }, "epoch"],
      [{ networkId: "1", nowMs: "5" }, "epoch"],
    ] as const)
      await expect(answering(bad).info()).rejects.toMatchObject({
        code: "PROTOCOL",
        check: expect.stringContaining(field),
      });
  });

  it("maps a 429 to RATE_LIMITED", async () => {
    await expect(
      answering({ error: "RATE_LIMITED", check: "too many" }, 429).heartbeat(new Uint8Array(1)),
    ).rejects.toMatchObject({ code: "RATE_LIMITED" });
  });
});

describe("httpGateway signed polls", () => {
  it("reads the node's key from info, and sends the signed poll in the Authorization header at the device's path", async () => {
    const device = keyFromLabel("client-device");
    const nodeKey = new Uint8Array(32).fill(7);
    const seen: { url: string; auth: string | null }[] = [];
    const gw = httpGateway("http://node.invalid/device", {
      fetch: async (input, init) => {
        seen.push({ url: String(input), auth: new Headers(init?.headers).get("authorization") });
        return String(input).endsWith("/v1/info")
          ? Response.json({ networkId: "1", epoch: "3", nowMs: "5", nodeKey: bytesToHex(nodeKey) })
          : Response.json({ challenges: [] });
      },
    });
    expect((await gw.info()).nodeKey).toEqual(nodeKey);
    const poll = signPoll({ networkId: 1n, nodeKey, timeMs: 5n }, device);
    expect(await gw.pollChallenges(poll, 0)).toEqual([]);
    expect(seen[1]).toEqual({
      url: `http://node.invalid/device/v1/challenges/${bytesToHex(device.publicKey)}?wait=0`,
      auth: `Vigil-Poll ${bytesToHex(poll)}`,
    });
    await expect(
      httpGateway("http://node.invalid", {
        fetch: async () => Response.json({ networkId: "1", epoch: "3", nowMs: "5", nodeKey: "00" }),
      }).info(),
    ).rejects.toMatchObject({ code: "PROTOCOL", check: expect.stringContaining("nodeKey") });
  });

  it("maps a refused poll (401) to REJECTED with the node's check", async () => {
    const gw = httpGateway("http://node.invalid", {
      fetch: async () =>
        Response.json({ error: "BAD_SIGNATURE", check: "poll: not signed" }, { status: 401 }),
    });
    const poll = signPoll({ networkId: 1n, nodeKey: new Uint8Array(32), timeMs: 5n }, keyFromLabel("c"));
    await expect(gw.pollChallenges(poll, 0)).rejects.toMatchObject({
      code: "REJECTED",
      check: "BAD_SIGNATURE: poll: not signed",
    });
  });
});
