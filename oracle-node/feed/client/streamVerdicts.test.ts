import { type Address, keccak256, type LocalAccount, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { InvalidStreamEventError } from "./errors";
import { streamEventTypedData, type UnsignedStreamEvent } from "./streamEvents";
import { type StreamedVerdict, streamVerdicts } from "./streamVerdicts";

const chainId = 31337;
const settlement = "0x00000000000000000000000000000000000000aa" as const;
const [oracleA, oracleB, oracleC] = ["a", "b", "c"].map((n) =>
  privateKeyToAccount(keccak256(toHex(`oracle-${n}`))),
);

/** One signed `verdict` SSE block, as a node sends it. */
async function sseVerdict(account: LocalAccount, seq: number): Promise<string> {
  const event: UnsignedStreamEvent = {
    type: "verdict",
    provisional: true,
    networkId: "1",
    epoch: "5",
    deviceId: keccak256(toHex("device")),
    kind: "compute",
    outcome: "pass",
    challengeId: keccak256(toHex(`challenge-${seq}`)),
    evidenceHash: null,
    seq: String(seq),
    timeMs: "1",
    signer: account.address,
  };
  const typed = streamEventTypedData(event, { chainId, settlement });
  const signature =
    typed.primaryType === "SettledNotice"
      ? await account.signTypedData(typed)
      : await account.signTypedData(typed);
  return `event: verdict\nid: 5:${seq}\ndata: ${JSON.stringify({ ...event, signature })}\n\n`;
}

/**
 * A node's stream the test writes to, event by event; a registry whose active signers the test
 * changes (counting reads); and a clock the test moves.
 */
function setup(initial: Address[]) {
  const { readable: body, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const fakeFetch = (async () =>
    new Response(body, { headers: { "content-type": "text/event-stream" } })) as unknown as typeof fetch;
  const registry = { list: initial, reads: 0, t: 0 };
  const stream = streamVerdicts("http://node.test", 1n, {
    fetch: fakeFetch,
    verify: {
      chainId,
      settlement,
      signers: initial,
      refreshSigners: {
        read: async () => {
          registry.reads++;
          return registry.list;
        },
        minIntervalMs: 30_000,
        now: () => registry.t,
      },
    },
  });
  const send = async (account: LocalAccount, seq: number) =>
    void writer.write(new TextEncoder().encode(await sseVerdict(account, seq)));
  const next = async (): Promise<StreamedVerdict> => {
    const r = await stream.next();
    if (r.done) throw new Error("stream ended");
    return r.value;
  };
  return { registry, send, next, stream };
}

describe("streamVerdicts: the active signer list follows the registry mid-stream", () => {
  it("accepts a signer added mid-stream and rejects one removed, after reading the list again", async () => {
    const { registry, send, next } = setup([oracleA!.address]);
    await send(oracleA!, 1);
    expect(await next()).toMatchObject({ type: "verdict", id: "5:1" });
    expect(registry.reads).toBe(0);

    registry.list = [oracleA!.address, oracleB!.address]; // B registered while the stream runs
    await send(oracleB!, 2);
    expect(await next()).toMatchObject({ type: "verdict", id: "5:2", event: { signer: oracleB!.address } });
    expect(registry.reads).toBe(1);

    registry.t += 30_000;
    registry.list = [oracleB!.address, oracleC!.address]; // A removed, C added
    await send(oracleC!, 3);
    expect(await next()).toMatchObject({ type: "verdict", id: "5:3" });
    expect(registry.reads).toBe(2);

    await send(oracleA!, 4);
    const err = await next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidStreamEventError);
    expect((err as Error).message).toContain(`signer ${oracleA!.address} is not an active registered oracle`);
    expect(registry.reads).toBe(2);
  });

  it("reads the list at most once per interval: an unknown signer within it is rejected", async () => {
    const { registry, send, next } = setup([oracleA!.address]);
    registry.list = [oracleA!.address, oracleB!.address];
    await send(oracleB!, 1);
    expect(await next()).toMatchObject({ id: "5:1" });
    registry.list = [oracleA!.address, oracleB!.address, oracleC!.address];
    registry.t += 10_000;
    await send(oracleC!, 2);
    await expect(next()).rejects.toMatchObject({ code: "INVALID_EVENT" });
    expect(registry.reads).toBe(1);
  });
});
