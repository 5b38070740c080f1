import { type Address, getAddress, type PublicClient } from "viem";
import type { OperatorInfo } from "../chain/index";
import type { Logger } from "../logger";
import { configSetEvent } from "./configSetEvent";
import { type DonConfigEntry, type DonMembership, resolveDon, sameDon } from "./resolveDon";

export interface DonFollowerOptions {
  forwarder: Address;
  donId: number;
  /** Follow only this config version (`cre.config_version`); default: the highest one the forwarder accepts. */
  configVersion?: number;
  /** First block to read `ConfigSet` from (the deployment's block). */
  fromBlock: bigint;
  /** The registry's operators as the node follows them (its chain view); read at every poll. */
  operators: () => readonly OperatorInfo[];
  /** How often the head is polled for new `ConfigSet` logs (default 2 s, the chain view's pace). */
  pollIntervalMs?: number;
  /** Most blocks one `eth_getLogs` asks for (default 1,000: what strict hosted RPCs allow). */
  maxBlockRange?: number;
}

export interface DonFollower {
  /** The membership as last resolved; undefined while the forwarder has no (uncleared) config for the DON. */
  current(): DonMembership | undefined;
  /** Called with each new membership (forwarder reconfigured, or a member's operator joined or exited). */
  onChange(listener: (don: DonMembership | undefined) => void): () => void;
  /** Reads every `ConfigSet` from `fromBlock` to the head, then follows on a timer. Rejects if the read fails. */
  start(): Promise<void>;
  /** Applies the logs up to the head and re-resolves now (normally on the timer). */
  poll(): Promise<void>;
  stop(): void;
}

/**
 * Follows the forwarder's `ConfigSet` events for one DON id and the registry's operators. The
 * forwarder keeps its signers in storage without a getter, so its events are the only public record:
 * they are read once from `fromBlock`, then only the blocks after the last one read. A membership
 * comes from this node's own reads of the chain, never from a peer.
 */
export function createDonFollower(
  o: DonFollowerOptions,
  m: { client: PublicClient; logger: Logger },
): DonFollower {
  const log = m.logger.child({ module: "don-follower" });
  const maxRange = BigInt(o.maxBlockRange ?? 1_000);
  const configs = new Map<number, DonConfigEntry>();
  const listeners = new Set<(don: DonMembership | undefined) => void>();
  let processed = o.fromBlock - 1n;
  let range = maxRange;
  let don: DonMembership | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;

  const readLogs = async () => {
    const head = await m.client.getBlockNumber({ cacheTime: 0 });
    while (processed < head) {
      const fromBlock = processed + 1n;
      const toBlock = fromBlock + range - 1n < head ? fromBlock + range - 1n : head;
      let logs: Awaited<ReturnType<typeof getLogs>>;
      try {
        logs = await getLogs(fromBlock, toBlock);
      } catch (err) {
        // Hosted RPCs refuse wide ranges: ask for half as many blocks next time, down to one.
        if (range > 1n) range /= 2n;
        throw err;
      }
      for (const l of logs) {
        const { configVersion, f, signers } = l.args;
        if (configVersion === undefined || f === undefined || !signers) continue;
        // `clearConfig` emits f = 0 and no signers: the forwarder refuses that version's reports from then on.
        if (f === 0) configs.delete(configVersion);
        else configs.set(configVersion, { f, signers: signers.map((s) => getAddress(s)) });
        log.info({ donId: o.donId, configVersion, f, signers: signers.length }, "forwarder ConfigSet seen");
      }
      processed = toBlock;
      if (range < maxRange) range *= 2n;
    }
  };
  const getLogs = (fromBlock: bigint, toBlock: bigint) =>
    m.client.getLogs({
      address: o.forwarder,
      event: configSetEvent,
      args: { donId: o.donId },
      fromBlock,
      toBlock,
    });

  const resolve = () => {
    const next = resolveDon({ donId: o.donId, configs, operators: o.operators(), pin: o.configVersion });
    if (sameDon(don, next)) return;
    don = next;
    for (const l of listeners) l(next);
  };

  const poll = (): Promise<void> => {
    // One read at a time: a tick that finds the last one still running waits for it.
    running ??= readLogs()
      .then(resolve)
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      poll()
        .catch((err: unknown) => log.warn({ err }, "reading the forwarder's ConfigSet failed; retrying"))
        .finally(arm);
    }, o.pollIntervalMs ?? 2_000);
    timer.unref();
  };

  return {
    current: () => don,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      await poll();
      arm();
    },
    poll,
    stop() {
      stopped = true;
      clearTimeout(timer);
      listeners.clear();
    },
  };
}
