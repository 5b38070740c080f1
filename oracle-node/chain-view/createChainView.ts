import { type Address, type Hex, hexToBytes } from "viem";
import type { StorageTarget } from "../../attestation/index";
import {
  type DeviceInfo,
  type DeviceStorageInfo,
  getDevice,
  getDeviceStorage,
  getNetwork,
  getNetworkDeviceStorage,
  getNetworkDevices,
  getOperators,
  getSettlementState,
  type NetworkInfo,
  type OperatorInfo,
} from "../chain/index";
import { PeerAllowList } from "../p2p/index";
import { ChainViewError } from "./errors";
import type { ChainView, ChainViewModules, SettlementState } from "./interface";
import { createChainViewMetrics } from "./metrics";
import { type ChainViewOptions, defaultChainViewOptions } from "./options";
import { type Touched, touchedBy } from "./touchedBy";

type Options = Pick<ChainViewOptions, "registry" | "settlement" | "networks"> & Partial<ChainViewOptions>;

/** What the view holds of one served network. */
interface NetworkState {
  info: NetworkInfo;
  /** Active devices by lowercase id; insertion order is registration order (a device registers once, ever). */
  devices: Map<Hex, DeviceInfo>;
  /** `devices` as a list, rebuilt on the first read after a change. */
  deviceList: DeviceInfo[] | undefined;
  /** Storage targets by lowercase device id (any status, as the registry lists them). */
  storage: Map<Hex, StorageTarget>;
  settlement: SettlementState;
}

/** Operators with their derived lookups, replaced as a whole. */
interface OperatorState {
  list: OperatorInfo[];
  active: Address[];
  signerByPeer: Map<string, Address>;
}

/**
 * Builds the chain view (it reads nothing until `start()`). All reads and writes of the state go
 * through one queue, so a tick, a full resync and a settlement re-read never interleave, and each
 * applies what it read in one synchronous step: a lookup never sees half a range applied.
 */
export function createChainView(opts: Options, modules: ChainViewModules): ChainView {
  const o: ChainViewOptions = { ...defaultChainViewOptions, ...opts };
  const { client } = modules;
  const log = modules.logger.child({ module: "chain-view" });
  const metrics = createChainViewMetrics(modules.metrics);
  const allowList = new PeerAllowList();
  const listeners = new Set<(networkId: bigint, state: SettlementState) => void>();

  const networks = new Map<bigint, NetworkState>();
  let operators: OperatorState = { list: [], active: [], signerByPeer: new Map() };
  let head: bigint | null = null;
  let processed: bigint | null = null;
  let chainOk = true;
  let balanceAtHead: bigint | null = null;
  let lastFullReadMs = 0;
  /** Blocks asked per `eth_getLogs`: halved after a failure, doubled back after each success. */
  let range = o.maxBlockRange;
  let running = false;
  let timer: NodeJS.Timeout | undefined;

  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    // The caller gets `run` (and its rejection); the queue only waits for it to end.
    queue = Promise.allSettled([run]);
    return run;
  };

  const withOverrides = (n: NetworkInfo): NetworkInfo => ({
    ...n,
    epochLength: o.epoch?.lengthSeconds ?? n.epochLength,
    genesisTime: o.epoch?.genesisTime ?? n.genesisTime,
  });
  const storageTarget = (s: DeviceStorageInfo): StorageTarget => ({
    storageRoot: hexToBytes(s.root),
    storageChunks: s.chunks,
    storageChunkBytes: s.chunkBytes,
  });
  const operatorState = (list: OperatorInfo[]): OperatorState => {
    const signerByPeer = new Map<string, Address>();
    // The first registration of a peer id wins, as a scan of the list in order would find it.
    for (const op of list)
      if (op.peerId && !signerByPeer.has(op.peerId)) signerByPeer.set(op.peerId, op.signer);
    return { list, active: list.filter((op) => op.status === "Active").map((op) => op.signer), signerByPeer };
  };
  const setOperators = (list: OperatorInfo[]) => {
    operators = operatorState(list);
    allowList.set(list.filter((op) => op.status === "Active" && op.peerId).map((op) => op.peerId!));
  };
  const setSettlement = (networkId: bigint, state: SettlementState) => {
    const n = networks.get(networkId);
    if (!n) return;
    n.settlement = state;
    for (const listener of listeners) listener(networkId, state);
  };
  const setHead = async (block: bigint) => {
    head = block;
    metrics.chainHead.set(Number(block));
    // The balance only changes with a block: read it when the head moved.
    if (o.balanceOf && balanceAtHead !== block) {
      metrics.signerBalance.set(Number(await client.getBalance({ address: o.balanceOf })));
      balanceAtHead = block;
    }
  };
  const setProcessed = (block: bigint) => {
    processed = block;
    metrics.processedBlock.set(Number(block));
  };

  /** Everything, read at the latest block; the logs of blocks after `from` are applied again after it (idempotent). */
  const fullRead = async (): Promise<void> => {
    try {
      const from = await client.getBlockNumber({ cacheTime: 0 });
      const ops = await getOperators(client, o.registry);
      const next = new Map<bigint, NetworkState>();
      for (const id of o.networks) {
        const info = withOverrides(await getNetwork(client, o.registry, id));
        const active = (await getNetworkDevices(client, o.registry, id)).filter((d) => d.status === "Active");
        const storage = await getNetworkDeviceStorage(client, o.registry, id);
        const settlement = await getSettlementState(client, o.settlement, id);
        next.set(id, {
          info,
          devices: new Map(active.map((d) => [d.deviceId.toLowerCase() as Hex, d])),
          deviceList: undefined,
          storage: new Map(storage.map((s) => [s.deviceId.toLowerCase() as Hex, storageTarget(s)])),
          settlement,
        });
      }
      await setHead(from);
      // Applied in one step, after every read succeeded.
      setOperators(ops);
      networks.clear();
      for (const [id, n] of next) networks.set(id, n);
      for (const [id, n] of next) setSettlement(id, n.settlement);
      setProcessed(from);
      lastFullReadMs = Date.now();
      chainOk = true;
      metrics.fullReads.inc({ result: "ok" });
    } catch (err) {
      chainOk = false;
      metrics.fullReads.inc({ result: "failed" });
      throw err;
    }
  };

  /** Runs `fn` over `items`, `readConcurrency` at a time, results in order. */
  const readAll = async <T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> => {
    const out: R[] = [];
    for (let i = 0; i < items.length; i += o.readConcurrency)
      out.push(...(await Promise.all(items.slice(i, i + o.readConcurrency).map(fn))));
    return out;
  };

  /** Re-reads what a range touched (at the latest block), then applies it all at once. */
  const apply = async (t: Touched): Promise<void> => {
    const devices = await readAll([...t.devices], ([id, networkId]) =>
      getDevice(client, o.registry, id).then((d) => ({ id, networkId, d })),
    );
    const storage = await readAll([...t.storage], ([id, networkId]) =>
      getDeviceStorage(client, o.registry, id).then((s) => ({ id, networkId, s })),
    );
    const infos = await readAll([...t.networks], (id) => getNetwork(client, o.registry, id));
    const settlements = await readAll([...t.settlement], (id) =>
      getSettlementState(client, o.settlement, id).then((s) => ({ id, s })),
    );
    const ops = t.operators ? await getOperators(client, o.registry) : undefined;

    for (const { id, networkId, d } of devices) {
      const n = networks.get(networkId);
      if (!n) continue;
      // Map.set keeps an existing key's place: an updated device stays where it registered.
      if (d.status === "Active" && d.networkId === networkId) n.devices.set(id, d);
      else n.devices.delete(id);
      n.deviceList = undefined;
    }
    for (const { id, networkId, s } of storage) {
      const n = networks.get(networkId);
      if (!n) continue;
      if (s) n.storage.set(id, storageTarget(s));
      else n.storage.delete(id);
    }
    for (const info of infos) {
      const n = networks.get(info.networkId);
      if (n) n.info = withOverrides(info);
    }
    if (ops) setOperators(ops);
    for (const { id, s } of settlements) setSettlement(id, s);
    for (const [event, count] of t.events) metrics.events.inc({ event }, count);
  };

  /** Applies every block from the last processed one up to the head (less confirmations), range by range. */
  const follow = async (): Promise<void> => {
    if (processed === null)
      throw new ChainViewError("CHAIN_VIEW_NOT_RUNNING", "the chain view has not read the chain yet");
    try {
      await setHead(await client.getBlockNumber({ cacheTime: 0 }));
    } catch (cause) {
      throw new ChainViewError("CHAIN_VIEW_HEAD_FAILED", "reading the chain's head failed", {}, { cause });
    }
    const target = head! - BigInt(o.confirmations);
    while (running && processed < target) {
      const fromBlock = processed + 1n;
      const toBlock = fromBlock + BigInt(range) - 1n < target ? fromBlock + BigInt(range) - 1n : target;
      let touched: Touched;
      try {
        const logs = await client.getLogs({ address: [o.registry, o.settlement], fromBlock, toBlock });
        touched = touchedBy(logs, o);
      } catch (cause) {
        // Too large a range is the usual refusal; a smaller one may pass. Nothing is skipped either way.
        range = Math.max(1, Math.floor(range / 2));
        throw new ChainViewError(
          "CHAIN_VIEW_LOGS_FAILED",
          "reading the registry's logs failed",
          { fromBlock, toBlock },
          { cause },
        );
      }
      try {
        await apply(touched);
      } catch (cause) {
        throw new ChainViewError(
          "CHAIN_VIEW_READ_FAILED",
          "re-reading what the registry's logs touched failed",
          { fromBlock, toBlock },
          { cause },
        );
      }
      setProcessed(toBlock);
      range = Math.min(o.maxBlockRange, range * 2);
    }
  };

  const tick = async () => {
    timer = undefined;
    const resyncDue = o.fullResyncMs > 0 && Date.now() - lastFullReadMs >= o.fullResyncMs;
    try {
      await serial(async () => {
        if (resyncDue)
          try {
            return await fullRead();
          } catch (err) {
            // Following by events still works without it; the next tick tries the full read again.
            log.warn({ err }, "periodic full read of the registry failed; following by events meanwhile");
          }
        await follow();
      });
      if (!chainOk) log.info({ processedBlock: processed }, "following the chain again");
      chainOk = true;
    } catch (err) {
      metrics.followFailures.inc({ code: (err as { code?: string }).code ?? "UNKNOWN" });
      // One warning per outage, not one per tick; the failure counter shows how long it lasted.
      const context = { err, processedBlock: processed };
      if (chainOk) log.warn(context, "following the chain failed; keeping the last known state, retrying");
      else log.debug(context, "following the chain failed again");
      chainOk = false;
    }
    if (running) {
      timer = setTimeout(tick, o.pollIntervalMs);
      timer.unref();
    }
  };

  const network = (networkId: bigint) => networks.get(networkId);

  return {
    allowList,
    network: (networkId) => network(networkId)?.info,
    networks: () => [...networks.values()].map((n) => n.info),
    operators: () => operators.list,
    activeSigners: () => operators.active,
    signerOf: (peerId) => operators.signerByPeer.get(peerId),
    devices(networkId) {
      const n = network(networkId);
      if (!n) return [];
      n.deviceList ??= [...n.devices.values()];
      return n.deviceList;
    },
    device: (networkId, deviceId) => network(networkId)?.devices.get(deviceId),
    storage: (networkId, deviceId) => network(networkId)?.storage.get(deviceId),
    settlement: (networkId) => network(networkId)?.settlement,
    head: () => head,
    processedBlock: () => processed,
    chainOk: () => chainOk,
    onSettlement(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      await serial(fullRead);
      running = true;
      timer = setTimeout(tick, o.pollIntervalMs);
      timer.unref();
      log.info(
        { processedBlock: processed, networks: o.networks.length, operators: operators.list.length },
        "chain view read; following the registry by its events",
      );
    },
    poll: () =>
      serial(follow).then(
        () => {
          chainOk = true;
        },
        (err: unknown) => {
          chainOk = false;
          throw err;
        },
      ),
    resync: () =>
      serial(fullRead).catch((cause: unknown) => {
        throw new ChainViewError(
          "CHAIN_VIEW_FULL_READ_FAILED",
          "the full read of the registry failed",
          {},
          { cause },
        );
      }),
    refreshSettlement: (networkId) =>
      serial(async () => {
        setSettlement(networkId, await getSettlementState(client, o.settlement, networkId));
      }),
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
