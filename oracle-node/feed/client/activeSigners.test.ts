import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { createActiveSigners } from "./activeSigners";
import { SignersUnavailableError } from "./errors";

const a = "0x000000000000000000000000000000000000000A" as Address;
const b = "0x000000000000000000000000000000000000000b" as Address;

/** A registry whose list the test changes, counting reads, and a clock the test moves. */
function chain(initial: Address[]) {
  const state = { list: initial, reads: 0, t: 0, fail: false };
  const read = async () => {
    state.reads++;
    if (state.fail) throw new Error("rpc down");
    return state.list;
  };
  return { state, refresh: { read, now: () => state.t, minIntervalMs: 30_000, maxAgeMs: 300_000 } };
}

describe("createActiveSigners", () => {
  it("without a refresh, keeps the list it was given", async () => {
    const s = createActiveSigners([a]);
    expect(await s.isActive(a.toLowerCase() as Address)).toBe(true);
    expect(await s.isActive(b)).toBe(false);
  });

  it("reads the list again for an unknown signer, at most once per interval", async () => {
    const { state, refresh } = chain([a]);
    const s = createActiveSigners([a], refresh);
    expect(await s.isActive(a)).toBe(true);
    expect(state.reads).toBe(0);
    state.list = [a, b];
    expect(await s.isActive(b)).toBe(true); // the first unknown signer always refreshes
    expect(state.reads).toBe(1);
    const c = "0x000000000000000000000000000000000000000c" as Address;
    state.list = [a, b, c];
    state.t += 29_999;
    expect(await s.isActive(c)).toBe(false); // rate-limited: no read
    expect(state.reads).toBe(1);
    state.t += 1;
    expect(await s.isActive(c)).toBe(true);
    expect(state.reads).toBe(2);
  });

  it("reads an old list again, so a removed signer is rejected", async () => {
    const { state, refresh } = chain([a, b]);
    const s = createActiveSigners([a, b], refresh);
    state.list = [b];
    state.t += 299_999;
    expect(await s.isActive(a)).toBe(true); // still within maxAge: the cached list holds
    state.t += 1;
    expect(await s.isActive(a)).toBe(false);
    expect(state.reads).toBe(1);
    expect(s.current()).toEqual([b]);
  });

  it("one read serves concurrent checks", async () => {
    const { state, refresh } = chain([a]);
    const s = createActiveSigners([a], refresh);
    state.list = [a, b];
    expect(await Promise.all([s.isActive(b), s.isActive(b), s.isActive(b)])).toEqual([true, true, true]);
    expect(state.reads).toBe(1);
  });

  it("a failed read neither accepts nor rejects: it throws SIGNERS_UNAVAILABLE", async () => {
    const { state, refresh } = chain([a]);
    const s = createActiveSigners([a], { ...refresh, registry: a });
    state.fail = true;
    const err = await s.isActive(b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignersUnavailableError);
    expect(err).toMatchObject({ code: "SIGNERS_UNAVAILABLE", details: { registry: a } });
    expect((err as Error).cause).toMatchObject({ message: "rpc down" });
  });
});
