import type { Logger } from "pino";
import { bytesToHex } from "../bytes";
import { buildStorage, type StorageSet } from "../challenges/storage";
import type { Ed25519Verify, Signer } from "../crypto/ed25519";
import { nodeVerify } from "../crypto/node";
import {
  answerBandwidth,
  answerLatency,
  answerStorage,
  type DeviceBehaviour,
  finishCompute,
  startCompute,
} from "../device";
import { challengeIdOf } from "../hash";
import type { Capabilities } from "../messages/capabilities";
import { verifyMessage } from "../messages/message";
import { signMessage } from "../messages/sign";
import type { DeviceGateway } from "./gateway";

/** Deviations from honest behaviour, for the fleet simulator's cheating devices. */
export interface AgentBehaviour extends DeviceBehaviour {
  /** Never send a fresh heartbeat: replay one signed for the previous epoch (or another network). */
  replayHeartbeats?: boolean;
  /** While true (ms since start), the device sends nothing and polls nothing. */
  offline?: (elapsedMs: number) => boolean;
  /** Extra delay before answering each challenge, ms (a slow device or a relay to other hardware). */
  responseDelayMs?: number;
}

export interface DeviceAgentOptions {
  signer: Signer;
  /** 20-byte owner address (claims the rewards). */
  owner: Uint8Array;
  capabilities: Capabilities;
  /** Seeded storage the device holds and registers (omit for none). */
  storage?: { seed: Uint8Array; chunks: number; chunkBytes: number };
  /** The device's assigned oracle nodes. */
  gateways: DeviceGateway[];
  heartbeatIntervalMs?: number;
  pollWaitMs?: number;
  behaviour?: AgentBehaviour;
  /** Verifies challenge signatures (default node:crypto). */
  verify?: Ed25519Verify;
  logger?: Logger;
}

export interface DeviceAgentStats {
  heartbeatsSent: number;
  heartbeatsRejected: number;
  challengesAnswered: number;
  errors: number;
}

export interface DeviceAgent {
  readonly deviceId: Uint8Array;
  readonly stats: DeviceAgentStats;
  stop(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });

/**
 * Runs a device: registers with each assigned node, sends heartbeats, long-polls each node for
 * challenges and answers them with real computation. One loop per gateway; errors are counted and
 * logged and the loop goes on (a node being down must not stop the device).
 */
export function startDeviceAgent(opts: DeviceAgentOptions): DeviceAgent {
  const verify = opts.verify ?? nodeVerify;
  const b = opts.behaviour ?? {};
  const log = opts.logger;
  const interval = opts.heartbeatIntervalMs ?? 5_000;
  const pollWait = opts.pollWaitMs ?? 20_000;
  const abort = new AbortController();
  const started = Date.now();
  const offline = () => b.offline?.(Date.now() - started) ?? false;
  const stats: DeviceAgentStats = {
    heartbeatsSent: 0,
    heartbeatsRejected: 0,
    challengesAnswered: 0,
    errors: 0,
  };
  const storage: StorageSet | null = opts.storage
    ? buildStorage(opts.storage.seed, opts.storage.chunks, opts.storage.chunkBytes)
    : null;
  const fail = (what: string, err: unknown) => {
    stats.errors++;
    log?.warn({ err: err instanceof Error ? err.message : String(err) }, what);
  };

  async function runGateway(gw: DeviceGateway): Promise<void> {
    let info: Awaited<ReturnType<DeviceGateway["info"]>> | null = null;
    while (!abort.signal.aborted && !info) {
      try {
        info = await gw.info();
      } catch (e) {
        fail("gateway info", e);
        await sleep(interval, abort.signal);
      }
    }
    if (!info) return;
    const networkId = info.networkId;
    await Promise.all([heartbeatLoop(gw, networkId), challengeLoop(gw, networkId)]);
  }

  const registration = (networkId: bigint, epoch: bigint) =>
    signMessage(
      "registration",
      { networkId, epoch },
      {
        owner: opts.owner,
        capabilities: opts.capabilities,
        storageRoot: storage?.root ?? new Uint8Array(32),
        storageChunks: opts.storage?.chunks ?? 0,
        storageChunkBytes: opts.storage?.chunkBytes ?? 0,
      },
      opts.signer,
    );

  async function heartbeatLoop(gw: DeviceGateway, networkId: bigint): Promise<void> {
    let seq = 0n;
    let first: Uint8Array | null = null;
    let registered = false;
    while (!abort.signal.aborted) {
      if (!offline()) {
        try {
          const { epoch } = await gw.info();
          // Until the node has our registration (it may have been down at start), send it first.
          if (!registered) {
            try {
              await gw.register(registration(networkId, epoch));
              registered = true;
            } catch (e) {
              fail("register", e);
            }
          }
          const body = {
            seq: ++seq,
            timeMs: BigInt(Date.now()),
            loadBps: 0,
            capabilities: opts.capabilities,
          };
          let hb: Uint8Array;
          if (b.replayHeartbeats) {
            // A heartbeat recorded elsewhere (the previous epoch, or another network in epoch 0),
            // replayed over and over instead of fresh ones: it must never be credited.
            const recorded =
              epoch > 0n ? { networkId, epoch: epoch - 1n } : { networkId: networkId + 1n, epoch };
            hb = first ??= signMessage("heartbeat", recorded, body, opts.signer);
          } else hb = signMessage("heartbeat", { networkId, epoch }, body, opts.signer);
          stats.heartbeatsSent++;
          await gw.heartbeat(hb);
        } catch (e) {
          stats.heartbeatsRejected++;
          fail("heartbeat", e);
        }
      }
      await sleep(interval, abort.signal);
    }
  }

  async function challengeLoop(gw: DeviceGateway, networkId: bigint): Promise<void> {
    while (!abort.signal.aborted) {
      if (offline()) {
        await sleep(Math.min(interval, 200), abort.signal);
        continue;
      }
      let list: Uint8Array[];
      try {
        list = await gw.pollChallenges(opts.signer.publicKey, pollWait, abort.signal);
      } catch (e) {
        if (abort.signal.aborted) return;
        fail("poll", e);
        await sleep(interval, abort.signal);
        continue;
      }
      for (const bytes of list) {
        if (abort.signal.aborted) return;
        try {
          await answer(gw, networkId, bytes);
          stats.challengesAnswered++;
        } catch (e) {
          fail("challenge", e);
        }
      }
    }
  }

  async function answer(gw: DeviceGateway, networkId: bigint, bytes: Uint8Array): Promise<void> {
    const m = verifyMessage(bytes, { kind: "challenge", networkId }, verify);
    if (!m.ok) throw m.error;
    const challenge = m.value;
    if (bytesToHex(challenge.body.deviceId) !== bytesToHex(opts.signer.publicKey))
      throw new Error("challenge for another device");
    if (b.responseDelayMs) await sleep(b.responseDelayMs, abort.signal);
    const p = challenge.body.params;
    if (p.type === "compute") {
      const work = startCompute(opts.signer, challenge, b);
      const { salt } = await gw.commit(work.commit);
      await gw.respond(finishCompute(opts.signer, work, salt));
    } else if (p.type === "storage") {
      if (!storage) throw new Error("storage challenge but no storage");
      await gw.respond(answerStorage(opts.signer, challenge, storage, b));
    } else if (p.type === "bandwidth") {
      const payload = await gw.payload(challengeIdOf(challenge.signingBytes));
      await gw.respond(answerBandwidth(opts.signer, challenge, payload));
    } else await gw.respond(answerLatency(opts.signer, challenge));
  }

  const loops = Promise.all(opts.gateways.map((gw) => runGateway(gw)));
  return {
    deviceId: opts.signer.publicKey,
    stats,
    async stop() {
      abort.abort();
      await loops;
    },
  };
}
