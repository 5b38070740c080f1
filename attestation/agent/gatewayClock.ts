import { AttestationError } from "../errors";
import { type DeviceGateway, GatewayError } from "./gateway";

/** Heartbeat interval assumed for a node that does not report its policy's (older nodes): the production 5 s. */
export const FALLBACK_POLICY_INTERVAL_MS = 5_000;

export interface GatewayClockOptions {
  /** Local clock, unix ms (tests). */
  now?: () => number;
}

export interface GatewayTiming {
  /** The epoch to sign heartbeats for. */
  epoch: bigint;
  /** The network policy's heartbeat interval, or `FALLBACK_POLICY_INTERVAL_MS` if the node does not say. */
  policyIntervalMs: number;
  /**
   * The node's clock minus ours, ms, as `info()` showed it (its `nowMs` against the midpoint of the
   * request): the device checks challenge deadlines on the node's clock.
   */
  skewMs: number;
  /** When `epoch` ends on the node's clock, unix ms; absent from older nodes. Uptime slots are aligned on it. */
  epochEndMs?: number;
}

export interface GatewayClock {
  /** The node's epoch and policy interval: cached, asking `info()` only when they may have changed. */
  timing(): Promise<GatewayTiming>;
  /** Forgets the cache, e.g. after the node rejected a heartbeat as signed for the wrong epoch. */
  invalidate(): void;
}

/**
 * One node's epoch timing as the device agent keeps it, so it does not ask `info()` before every
 * heartbeat. The cache holds until the epoch the node reported ends (moved to the local clock by
 * the offset between the node's `nowMs` and ours), or, from a node that does not report its epoch
 * end, for one policy interval; `invalidate()` drops it at once.
 */
export function gatewayClock(gw: DeviceGateway, opts: GatewayClockOptions = {}): GatewayClock {
  const now = opts.now ?? Date.now;
  let cached: (GatewayTiming & { validUntil: number }) | undefined;
  return {
    async timing() {
      if (cached && now() < cached.validUntil) return cached;
      const asked = now();
      const info = await gw.info();
      const skewMs = Number(info.nowMs) - Math.round((asked + now()) / 2);
      const policyIntervalMs = info.heartbeatIntervalMs ?? FALLBACK_POLICY_INTERVAL_MS;
      const validUntil =
        info.epochEndMs !== undefined
          ? asked + Number(info.epochEndMs - info.nowMs)
          : asked + policyIntervalMs;
      cached = { epoch: info.epoch, policyIntervalMs, skewMs, validUntil };
      if (info.epochEndMs !== undefined) cached.epochEndMs = Number(info.epochEndMs);
      return cached;
    },
    invalidate() {
      cached = undefined;
    },
  };
}

/** Whether a heartbeat was refused for being signed for an epoch the node is no longer (or not yet) in. */
export const isWrongEpoch = (err: unknown): boolean =>
  (err instanceof AttestationError && err.code === "WRONG_EPOCH") ||
  (err instanceof GatewayError && err.check.startsWith("WRONG_EPOCH"));

/**
 * Whether a heartbeat was refused for a `timeMs` too far from the node's clock (`DEADLINE`): the
 * skew measured earlier no longer holds (the device's clock stepped), so measure it again.
 */
export const isClockRefused = (err: unknown): boolean =>
  (err instanceof AttestationError && err.code === "DEADLINE") ||
  (err instanceof GatewayError && err.check.startsWith("DEADLINE"));
