import { describe, expect, it } from "vitest";
import { AttestationError } from "../errors";
import { GatewayError, type GatewayInfo } from "./gateway";
import { FALLBACK_POLICY_INTERVAL_MS, gatewayClock, isWrongEpoch } from "./gatewayClock";

/** A node whose `info()` answers from `state` (its clock runs 1 s ahead of the device's) and counts calls. */
function node(state: { epoch: bigint; endMs?: bigint; intervalMs?: number }, local: { ms: number }) {
  const calls = { info: 0 };
  const gw = {
    async info(): Promise<GatewayInfo> {
      calls.info++;
      return {
        networkId: 1n,
        epoch: state.epoch,
        nowMs: BigInt(local.ms + 1_000),
        ...(state.intervalMs ? { heartbeatIntervalMs: state.intervalMs } : {}),
        ...(state.endMs !== undefined ? { epochEndMs: state.endMs } : {}),
      };
    },
  };
  return { gw: gw as unknown as Parameters<typeof gatewayClock>[0], calls };
}

describe("gatewayClock", () => {
  it("asks info() once per epoch: cached until the epoch's end, moved to the local clock", async () => {
    const local = { ms: 100_000 };
    const state = { epoch: 7n, endMs: 131_000n, intervalMs: 5_000 };
    const { gw, calls } = node(state, local);
    const clock = gatewayClock(gw, { now: () => local.ms });
    expect(await clock.timing()).toMatchObject({ epoch: 7n, policyIntervalMs: 5_000 });
    // The node's clock is 1 s ahead: its end 131 000 is 130 000 here.
    for (local.ms = 100_000; local.ms < 130_000; local.ms += 2_500) await clock.timing();
    expect(calls.info).toBe(1);
    state.epoch = 8n;
    state.endMs = 161_000n;
    local.ms = 130_000;
    expect((await clock.timing()).epoch).toBe(8n);
    expect(calls.info).toBe(2);
  });

  it("refreshes once per policy interval from a node that does not report its epoch end", async () => {
    const local = { ms: 0 };
    const { gw, calls } = node({ epoch: 1n }, local);
    const clock = gatewayClock(gw, { now: () => local.ms });
    expect((await clock.timing()).policyIntervalMs).toBe(FALLBACK_POLICY_INTERVAL_MS);
    local.ms = FALLBACK_POLICY_INTERVAL_MS - 1;
    await clock.timing();
    expect(calls.info).toBe(1);
    local.ms = FALLBACK_POLICY_INTERVAL_MS;
    await clock.timing();
    expect(calls.info).toBe(2);
  });

  it("forgets the cache on invalidate (a WRONG_EPOCH rejection), in process or over HTTP", async () => {
    const local = { ms: 0 };
    const state = { epoch: 1n, endMs: 1_000_000n, intervalMs: 200 };
    const { gw, calls } = node(state, local);
    const clock = gatewayClock(gw, { now: () => local.ms });
    await clock.timing();
    state.epoch = 2n;
    expect((await clock.timing()).epoch).toBe(1n);
    clock.invalidate();
    expect((await clock.timing()).epoch).toBe(2n);
    expect(calls.info).toBe(2);
    expect(isWrongEpoch(new AttestationError("WRONG_EPOCH", "epoch"))).toBe(true);
    expect(isWrongEpoch(new GatewayError("REJECTED", "WRONG_EPOCH: epoch"))).toBe(true);
    expect(isWrongEpoch(new GatewayError("REJECTED", "REPLAY: seq"))).toBe(false);
  });
});
