import { type Address, isAddressEqual } from "viem";
import { SignersUnavailableError } from "./errors";

export interface SignerRefreshOptions {
  /** Reads the registry's active signers again (e.g. `readOracleSigners(publicClient, registry)`). */
  read: () => Promise<readonly Address[]>;
  /** The registry read from, for the error when a read fails. */
  registry?: Address;
  /**
   * Re-reads at most once per this many ms when an event's signer is not in the list (default 30 s):
   * an unknown signer costs one chain read, and a node sending many costs no more than one per interval.
   */
  minIntervalMs?: number;
  /**
   * A list older than this is read again before the next check (default 5 min, still at most once per
   * `minIntervalMs`), so a signer the registry removed is rejected within that time.
   */
  maxAgeMs?: number;
  now?: () => number;
}

export interface ActiveSigners {
  /** Whether `signer` is an active registered oracle, reading the list again when allowed and needed. */
  isActive(signer: Address): Promise<boolean>;
  /** The list as last read. */
  current(): readonly Address[];
}

export const defaultSignerRefresh = { minIntervalMs: 30_000, maxAgeMs: 300_000 } as const;

/**
 * The active oracle signer list one verdict stream checks its events against. Without `refresh` it
 * is the fixed list given. With it, a signer not in the list makes it read the registry again (so a
 * signer added mid-stream is accepted), and a list past `maxAgeMs` is read again too (so a removed one
 * is rejected), at most once per `minIntervalMs`. A failed read throws `SignersUnavailableError`:
 * an event is never accepted or rejected on a list that could not be read.
 */
export function createActiveSigners(
  initial: readonly Address[],
  refresh?: SignerRefreshOptions,
): ActiveSigners {
  const now = refresh?.now ?? Date.now;
  const minIntervalMs = refresh?.minIntervalMs ?? defaultSignerRefresh.minIntervalMs;
  const maxAgeMs = refresh?.maxAgeMs ?? defaultSignerRefresh.maxAgeMs;
  let list = initial;
  let readAt = now();
  // The initial read does not count against the interval: the first unknown signer may always refresh.
  let refreshedAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;

  const reread = (read: () => Promise<readonly Address[]>) => {
    reading ??= (async () => {
      refreshedAt = now();
      try {
        list = await read();
        readAt = now();
      } catch (cause) {
        throw new SignersUnavailableError(refresh?.registry, cause);
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };
  const mayRefresh = () => refresh !== undefined && now() - refreshedAt >= minIntervalMs;
  const listed = (signer: Address) => list.some((s) => isAddressEqual(s, signer));

  return {
    current: () => list,
    async isActive(signer) {
      if (reading) await reading;
      if (refresh && now() - readAt >= maxAgeMs && mayRefresh()) await reread(refresh.read);
      if (listed(signer)) return true;
      if (!refresh || !mayRefresh()) return false;
      await reread(refresh.read);
      return listed(signer);
    },
  };
}
