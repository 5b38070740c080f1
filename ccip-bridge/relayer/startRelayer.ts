import { setTimeout as sleep } from "node:timers/promises";
import { type Logger, pino } from "pino";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { offRampAbi, onRampAbi } from "../abi.js";
import type { ChainClients } from "../deploy.js";
import { decodeRevert } from "../errors.js";
import { chainClients, laneChain } from "../lane/clients.js";
import type { LaneChain, LaneConfig } from "../lane/laneConfig.js";
import { RelayerStore, type StoredMessage } from "./relayerStore.js";

export interface RelayerOptions {
  lane: LaneConfig;
  /** Key of a transmitter allowed on both off-ramps. */
  privateKey: Hex;
  /** SQLite file holding the relayer's progress; the same file must be given after a restart. */
  dbPath: string;
  /** Pause between polls when there is nothing to do. Default 50 ms (anvil mines instantly). */
  pollIntervalMs?: number;
  /** Messages per `execute` transaction. Default 100 (about 8M gas on the local lane). */
  batchSize?: number;
  /** Blocks per log query. Default 2,000, under common RPC limits. */
  maxBlockRange?: bigint;
  logger?: Logger;
  /** Called after each delivery is recorded. */
  onDelivered?: (delivered: { lane: string; messages: StoredMessage[]; tx: Hex | null }) => void;
}

export interface RelayerStats {
  scanned: number;
  delivered: number;
  /** Messages found already executed on chain when the relayer's file said pending (after a crash). */
  reconciled: number;
  failures: number;
}

export interface Relayer {
  readonly stats: RelayerStats;
  /** Stops at once, dropping whatever is in flight (as a crash would); the file stays consistent. */
  stop(): Promise<void>;
}

class Stopped extends Error {}

/**
 * Carries messages both ways across the local lane: scans each on-ramp for `CCIPMessageSent`, stores
 * them, and hands them in batches to the other chain's off-ramp. Exactly-once delivery holds across
 * crashes and restarts: the store is transactional, pending messages are checked against the off-ramp
 * before they are sent again, and the off-ramp itself rejects a sequence number it has executed.
 */
export function startRelayer(options: RelayerOptions): Relayer {
  const logger = options.logger ?? pino({ level: "silent" });
  const store = new RelayerStore(options.dbPath);
  const account = privateKeyToAccount(options.privateKey);
  const clients = options.lane.chains.map((c) =>
    chainClients(laneChain(c.chainId, c.name, c.rpcUrl), account),
  );
  const stats: RelayerStats = { scanned: 0, delivered: 0, reconciled: 0, failures: 0 };
  const controller = new AbortController();
  const check = () => {
    if (controller.signal.aborted) throw new Stopped();
  };
  const [a, b] = options.lane.chains;
  const [clientsA, clientsB] = clients as [ChainClients, ChainClients];
  const loops = [runDirection(a, clientsA, b, clientsB), runDirection(b, clientsB, a, clientsA)];

  async function runDirection(
    src: LaneChain,
    srcClients: ChainClients,
    dst: LaneChain,
    dstClients: ChainClients,
  ) {
    const lane = `${src.chainSelector}->${dst.chainSelector}`;
    const log = logger.child({ lane });
    let isolate = false; // after a failed batch, deliver one by one to find the message that fails
    while (!controller.signal.aborted) {
      try {
        const worked = await step();
        if (!worked) await sleep(options.pollIntervalMs ?? 50, undefined, { signal: controller.signal });
      } catch (error) {
        if (error instanceof Stopped || controller.signal.aborted) return;
        stats.failures++;
        log.warn({ err: error }, "relayer step failed; retrying");
        await sleep(500, undefined, { signal: controller.signal }).catch(() => {});
      }
    }

    async function step(): Promise<boolean> {
      let worked = false;
      const latest = await srcClients.public.getBlockNumber({ cacheTime: 0 });
      check();
      const from = store.nextBlock(lane, src.deployBlock);
      if (from <= latest) {
        const range = options.maxBlockRange ?? 2_000n;
        const to = latest < from + range - 1n ? latest : from + range - 1n;
        const logs = await srcClients.public.getContractEvents({
          address: src.onRamp,
          abi: onRampAbi,
          eventName: "CCIPMessageSent",
          args: { destChainSelector: dst.chainSelector },
          fromBlock: from,
          toBlock: to,
          strict: true,
        });
        check();
        const now = Date.now();
        store.recordScan(
          lane,
          logs.map((l) => ({ messageId: l.args.messageId, message: l.args.message, seenAt: now })),
          to + 1n,
        );
        stats.scanned += logs.length;
        worked = true;
      }

      const pending = store.pending(lane, isolate ? 1 : (options.batchSize ?? 100));
      if (pending.length === 0) return worked;
      const executed = await dstClients.public.readContract({
        address: dst.offRamp,
        abi: offRampAbi,
        functionName: "getExecutionStates",
        args: [pending.map((m) => m.message.sequenceNumber)],
      });
      check();
      const already = pending.filter((_, i) => executed[i]);
      if (already.length > 0) {
        store.markDelivered(
          lane,
          already.map((m) => m.message.sequenceNumber),
          null,
        );
        stats.reconciled += already.length;
        options.onDelivered?.({ lane, messages: already, tx: null });
        log.info({ count: already.length }, "found delivered on chain; recorded");
      }
      const todo = pending.filter((_, i) => !executed[i]);
      if (todo.length === 0) return true;
      try {
        const call = {
          address: dst.offRamp,
          abi: offRampAbi,
          functionName: "execute",
          args: [todo.map((m) => m.message)],
        } as const;
        // The estimate runs against the state before other transactions land in the same block; a
        // margin keeps a batch from running out of gas when warm storage turns cold.
        const gas = await dstClients.public.estimateContractGas({
          ...call,
          account: dstClients.wallet.account,
        });
        check();
        const hash = await dstClients.wallet.writeContract({ ...call, gas: (gas * 3n) / 2n });
        check(); // a stop here is the crash window: mined, not yet recorded
        const receipt = await dstClients.public.waitForTransactionReceipt({ hash });
        check();
        if (receipt.status !== "success") {
          const tx = await dstClients.public.getTransaction({ hash });
          throw new Error(`execute ${hash} reverted (gas used ${receipt.gasUsed} of ${tx.gas})`);
        }
        store.markDelivered(
          lane,
          todo.map((m) => m.message.sequenceNumber),
          hash,
        );
        stats.delivered += todo.length;
        options.onDelivered?.({ lane, messages: todo, tx: hash });
        isolate = false;
      } catch (error) {
        if (error instanceof Stopped || controller.signal.aborted) throw error;
        const revert = decodeRevert(error);
        const reason = revert ? `${revert.errorName}(${revert.args.map(String).join(", ")})` : String(error);
        store.markFailed(
          lane,
          todo.map((m) => m.message.sequenceNumber),
          reason,
        );
        stats.failures++;
        log.warn(
          { reason, first: todo[0]?.message.sequenceNumber.toString(), count: todo.length },
          "delivery failed",
        );
        if (todo.length > 1) isolate = true;
        if (revert?.errorName === "TokenRateLimitReached") {
          // Wait for the inbound bucket to refill as far as the pool said.
          const seconds = Number(revert.args[0] ?? 1n);
          await sleep(Math.min(seconds, 60) * 1000, undefined, { signal: controller.signal }).catch(() => {});
        } else {
          await sleep(250, undefined, { signal: controller.signal }).catch(() => {});
        }
      }
      return true;
    }
  }

  return {
    stats,
    async stop() {
      controller.abort();
      await Promise.allSettled(loops);
      store.close();
    },
  };
}
