import { describe, expect, it } from "vitest";
import { httpGateway } from "./client";

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
